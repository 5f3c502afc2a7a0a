package streamechov5_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

// The five jobs on one echo v5 server: the middleware on a route group, an SSE
// handler, an NDJSON handler, a streamed upload whose progress goes to a
// hub topic, and that topic served to browsers.
func Example_routes() {
	reg := &core.Registry{Limit: 10_000}
	h := hub.New(&hub.Options{Registry: reg})
	defer h.Close()

	e := echo.New()
	api := e.Group("/api", streamechov5.Middleware(&streamechov5.Config{Registry: reg}))
	api.GET("/clock", func(c *echo.Context) error {
		s, err := streamechov5.SSE(c, nil)
		if err != nil {
			return err // already answered: 500, or 503 past the registry's limit
		}
		defer s.Close()
		for i := 1; i <= 3; i++ {
			if s.Send(&sse.Event{ID: fmt.Sprint(i), Type: "tick", Data: fmt.Sprint(i)}) != nil {
				return nil // the client left; s.Err() says why
			}
		}
		return nil
	})
	api.GET("/rows", func(c *echo.Context) error {
		s, err := streamechov5.NDJSON(c, nil)
		if err != nil {
			return err
		}
		defer s.Close()
		for _, name := range []string{"ada", "grace"} {
			if s.Encode(map[string]string{"name": name}) != nil {
				return nil
			}
		}
		return nil
	})
	api.POST("/upload", func(c *echo.Context) error {
		body, err := streamechov5.Upload(c, &upload.Options{
			MaxBytes: 1 << 30,
			Progress: func(read, total int64) {
				h.Publish(c.Request().Context(), "progress", hub.Message{Data: fmt.Sprint(read)})
			},
		})
		if err != nil {
			return err // an *echo.HTTPError: 413 or 400
		}
		n, err := io.Copy(io.Discard, body) // a file, object storage, ...
		if err != nil {
			return echo.NewHTTPError(upload.Status(err), err.Error()).Wrap(err)
		}
		return c.JSON(http.StatusOK, map[string]int64{"bytes": n})
	})
	api.GET("/topics/:topic", streamechov5.HubTopic(h, "topic", nil))

	// Drive it as a client would.
	fmt.Print(serve(e, "/api/clock").Body.String())
	fmt.Print(serve(e, "/api/rows").Body.String())
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/upload", strings.NewReader("hello")))
	fmt.Print(rec.Body.String())
	fmt.Println(reg.Stats().Total, "streams")
	// Output:
	// id: 1
	// event: tick
	// data: 1
	//
	// id: 2
	// event: tick
	// data: 2
	//
	// id: 3
	// event: tick
	// data: 3
	//
	// {"name":"ada"}
	// {"name":"grace"}
	// {"bytes":5}
	// 2 streams
}
