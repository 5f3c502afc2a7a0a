package streamgin_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapters/streamgin"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

// The five jobs on one gin engine: the middleware on a route group, an SSE
// handler, an NDJSON handler, a streamed upload whose progress goes to a
// hub topic, and that topic served to browsers.
func Example_routes() {
	reg := &core.Registry{Limit: 10_000}
	h := hub.New(&hub.Options{Registry: reg})
	defer h.Close()

	r := gin.New()
	api := r.Group("/api", streamgin.Middleware(&streamgin.Config{Registry: reg}))
	api.GET("/clock", func(c *gin.Context) {
		s, err := streamgin.SSE(c, nil)
		if err != nil {
			return // already answered: 500, or 503 past the registry's limit
		}
		defer s.Close()
		for i := 1; i <= 3; i++ {
			if s.Send(&sse.Event{ID: fmt.Sprint(i), Type: "tick", Data: fmt.Sprint(i)}) != nil {
				return // the client left; s.Err() says why
			}
		}
	})
	api.GET("/rows", func(c *gin.Context) {
		s, err := streamgin.NDJSON(c, nil)
		if err != nil {
			return
		}
		defer s.Close()
		for _, name := range []string{"ada", "grace"} {
			if s.Encode(map[string]string{"name": name}) != nil {
				return
			}
		}
	})
	api.POST("/upload", func(c *gin.Context) {
		body, err := streamgin.Upload(c, &upload.Options{
			MaxBytes: 1 << 30,
			Progress: func(read, total int64) {
				h.Publish(c, "progress", hub.Message{Data: fmt.Sprint(read)})
			},
		})
		if err != nil {
			return // already answered: 413 or 400
		}
		n, err := io.Copy(io.Discard, body) // a file, object storage, ...
		if err != nil {
			c.String(upload.Status(err), err.Error())
			return
		}
		c.JSON(http.StatusOK, gin.H{"bytes": n})
	})
	api.GET("/topics/:topic", streamgin.HubTopic(h, "topic", nil))

	// Drive it as a client would.
	fmt.Print(get(r, "/api/clock"))
	fmt.Print(get(r, "/api/rows"))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/upload", strings.NewReader("hello")))
	fmt.Println(rec.Body.String())
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

// get serves one GET request and returns the body.
func get(r http.Handler, target string) string {
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Body.String()
}
