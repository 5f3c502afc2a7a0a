package streamechov5_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing/iotest"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

// serve runs one GET request through echo and returns the recorded
// response.
func serve(e *echo.Echo, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// The middleware goes on the stream routes, after (inside) any compression
// middleware; its registry counts and caps the streams.
func ExampleMiddleware() {
	reg := &core.Registry{Limit: 10_000}
	e := echo.New()
	events := e.Group("/events", middleware.Gzip(), streamechov5.Middleware(&streamechov5.Config{Registry: reg}))
	events.GET("/hello", func(c *echo.Context) error {
		s, err := streamechov5.SSE(c, nil)
		if err != nil {
			return err // already answered
		}
		defer s.Close()
		return s.Send(&sse.Event{Data: "hello"})
	})

	rec := serve(e, "/events/hello")
	fmt.Print(rec.Body.String())
	fmt.Println("streams:", reg.Stats().Total)
	// Output:
	// data: hello
	//
	// streams: 1
}

func ExampleSSE() {
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	e.GET("/events", func(c *echo.Context) error {
		s, err := streamechov5.SSE(c, &sse.Options{Retry: 2 * time.Second})
		if err != nil {
			return err // already answered: 500, 503, or the client left
		}
		defer s.Close()
		for i := 1; i <= 2; i++ {
			ev := sse.Event{ID: strconv.Itoa(i), Type: "tick", Data: fmt.Sprintf(`{"n":%d}`, i)}
			if err := s.Send(&ev); err != nil {
				return nil // the client left
			}
		}
		return nil
	})

	rec := serve(e, "/events")
	fmt.Println(rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// text/event-stream; charset=utf-8
	// retry: 2000
	//
	// id: 1
	// event: tick
	// data: {"n":1}
	//
	// id: 2
	// event: tick
	// data: {"n":2}
}

func ExampleNDJSON() {
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	e.GET("/records", func(c *echo.Context) error {
		s, err := streamechov5.NDJSON(c, nil)
		if err != nil {
			return err
		}
		defer s.Close()
		for i := 1; i <= 3; i++ {
			if err := s.Encode(map[string]int{"n": i}); err != nil {
				return nil // the client left
			}
		}
		return nil
	})

	rec := serve(e, "/records")
	fmt.Println(rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// application/x-ndjson
	// {"n":1}
	// {"n":2}
	// {"n":3}
}

// Conn hands echo's response to the core engine, for a stream of your own
// format.
func ExampleNewConn() {
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	e.GET("/log", func(c *echo.Context) error {
		cn, err := streamechov5.NewConn(c)
		if err != nil { // this writer cannot flush: answer normally
			return echo.NewHTTPError(http.StatusInternalServerError, "streaming unsupported")
		}
		s, err := core.New(cn, &core.Options{ContentType: "text/plain; charset=utf-8"})
		if err != nil {
			return err
		}
		defer s.Close()
		fmt.Fprintln(s, "line 1")
		fmt.Fprintln(s, "line 2")
		return nil
	})

	rec := serve(e, "/log")
	fmt.Print(rec.Body.String())
	// Output:
	// line 1
	// line 2
}

// Resuming: sse.LastEventID reads the header, then the lastEventId query
// parameter; a malformed query is a 400.
func ExampleSSE_resume() {
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	e.GET("/events", func(c *echo.Context) error {
		last, err := sse.LastEventID(c.Request())
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		s, err := streamechov5.SSE(c, nil)
		if err != nil {
			return err
		}
		defer s.Close()
		return s.Send(&sse.Event{ID: "43", Data: "after " + last})
	})
	fmt.Print(serve(e, "/events", "Last-Event-ID", "42").Body.String())
	fmt.Print(serve(e, "/events?lastEventId=7").Body.String())
	bad := serve(e, "/events?lastEventId=%zz")
	fmt.Println(bad.Code)
	// Output:
	// id: 43
	// data: after 42
	//
	// id: 43
	// data: after 7
	//
	// 400
}

// An iterator streamed as NDJSON records, with the end record of the
// envelope mode.
func ExampleNDJSON_seq() {
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	e.GET("/users", func(c *echo.Context) error {
		s, err := streamechov5.NDJSON(c, &ndjson.Options{Envelope: true})
		if err != nil {
			return err
		}
		defer s.Close()
		return ndjson.Seq(s, slices.Values([]string{"ada", "grace"}))
	})

	fmt.Print(serve(e, "/users").Body.String())
	// Output:
	// {"result":"ada"}
	// {"result":"grace"}
	// {"end":true}
}

// HubTopic serves a hub topic: the history after the client's
// Last-Event-ID, then live events.
func ExampleHubTopic() {
	h := hub.New(nil)
	defer h.Close()
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	// A short lifetime ends this example's stream; real ones use hours.
	e.GET("/topics/:topic", streamechov5.HubTopic(h, "topic", &sse.Options{MaxLifetime: 50 * time.Millisecond}))

	ctx := context.Background()
	first, _ := h.Publish(ctx, "chat", hub.Message{Type: "msg", Data: "hi"})
	h.Publish(ctx, "chat", hub.Message{Type: "msg", Data: "how are you?"})
	h.Publish(ctx, "chat", hub.Message{Type: "msg", Data: "fine"})

	rec := serve(e, "/topics/chat", "Last-Event-ID", first)
	for ev, err := range sse.NewReader(rec.Body, nil).All() {
		if err != nil {
			break
		}
		fmt.Println(ev.Type, ev.Data)
	}
	fmt.Println(serve(e, "/topics/no%20spaces").Code)
	// Output:
	// msg how are you?
	// msg fine
	// 400
}

func ExampleChunked() {
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	e.GET("/export.csv", func(c *echo.Context) error {
		s, err := streamechov5.Chunked(c, &chunked.Options{ContentType: "text/csv"})
		if err != nil {
			return err
		}
		defer s.Close()
		c.Response().Header().Set("Content-Disposition", `attachment; filename="export.csv"`)
		_, err = chunked.Copy(s, strings.NewReader("id,name\n1,ada\n2,grace\n"), nil)
		return err
	})

	rec := serve(e, "/export.csv")
	fmt.Println(rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"))
	fmt.Print(rec.Body.String())
	// Output:
	// text/csv attachment; filename="export.csv"
	// id,name
	// 1,ada
	// 2,grace
}

func ExampleUpload() {
	e := echo.New()
	e.POST("/upload", func(c *echo.Context) error {
		u, err := streamechov5.Upload(c, &upload.Options{MaxBytes: 16})
		if err != nil {
			return err // an *echo.HTTPError: 413 or 400 with the reason
		}
		n, err := io.Copy(io.Discard, u)
		if err != nil {
			return echo.NewHTTPError(upload.Status(err), err.Error()).Wrap(err)
		}
		return c.String(http.StatusOK, fmt.Sprintf("got %d bytes", n))
	})

	for _, body := range []string{"hello", "far too long for the limit"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/upload", strings.NewReader(body)))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 200 got 5 bytes
	// 413 {"message":"upload: too large: Content-Length 26 is over the limit of 16 bytes"}
}

// An upload's progress, published to a hub topic that the page follows
// with an EventSource on the HubTopic route.
func ExampleUpload_progress() {
	h := hub.New(nil)
	defer h.Close()
	e := echo.New()
	e.POST("/upload", func(c *echo.Context) error {
		ctx, topic := c.Request().Context(), c.QueryParam("progress")
		percent := int64(-1)
		u, err := streamechov5.Upload(c, &upload.Options{
			MaxBytes: 1 << 30,
			Progress: func(read, total int64) {
				if topic == "" || total <= 0 || read*100/total == percent {
					return
				}
				percent = read * 100 / total
				h.Publish(ctx, topic, hub.Message{Type: "progress", Data: fmt.Sprint(percent)})
			},
		})
		if err != nil {
			return err // 413 or 400, answered by echo's error handler
		}
		n, err := io.Copy(io.Discard, u)
		if err != nil {
			return echo.NewHTTPError(upload.Status(err), err.Error()).Wrap(err)
		}
		return c.JSON(http.StatusOK, map[string]int64{"bytes": n})
	})
	e.GET("/topics/:topic", streamechov5.HubTopic(h, "topic", nil))

	// The page subscribes to the topic before it starts the upload.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := h.Subscribe(ctx, "upload-1", "")
	if err != nil {
		panic(err)
	}
	defer sub.Close()

	// A body that arrives one byte at a time.
	req := httptest.NewRequest(http.MethodPost, "/upload?progress=upload-1", iotest.OneByteReader(strings.NewReader("data")))
	req.ContentLength = 4
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	for range 4 {
		ev, err := sub.Next(ctx)
		if err != nil {
			panic(err)
		}
		fmt.Println(ev.Type, ev.Data)
	}
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// progress 25
	// progress 50
	// progress 75
	// progress 100
	// 200 {"bytes":4}
}
