package streamgin_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapters/streamgin"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

// serve runs one GET request through the engine and returns the recorded
// response.
func serve(r *gin.Engine, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

// The middleware goes on the stream routes, before any compression
// middleware; its registry counts and caps the streams.
func ExampleMiddleware() {
	reg := &core.Registry{Limit: 10_000}
	r := gin.New()
	events := r.Group("/events", streamgin.Middleware(&streamgin.Config{Registry: reg}))
	events.GET("/hello", func(c *gin.Context) {
		s, err := streamgin.SSE(c, nil)
		if err != nil {
			return // already answered
		}
		defer s.Close()
		s.Send(&sse.Event{Data: "hello"})
	})

	rec := serve(r, "/events/hello")
	fmt.Print(rec.Body.String())
	fmt.Println("streams:", reg.Stats().Total)
	// Output:
	// data: hello
	//
	// streams: 1
}

func ExampleSSE() {
	r := gin.New()
	r.Use(streamgin.Middleware(nil))
	r.GET("/events", func(c *gin.Context) {
		s, err := streamgin.SSE(c, &sse.Options{Retry: 2 * time.Second})
		if err != nil {
			return // already answered: 500, 503, or the client left
		}
		defer s.Close()
		for i := 1; i <= 2; i++ {
			ev := sse.Event{ID: strconv.Itoa(i), Type: "tick", Data: fmt.Sprintf(`{"n":%d}`, i)}
			if err := s.Send(&ev); err != nil {
				return // the client left
			}
		}
	})

	rec := serve(r, "/events")
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
	r := gin.New()
	r.Use(streamgin.Middleware(nil))
	r.GET("/records", func(c *gin.Context) {
		s, err := streamgin.NDJSON(c, nil)
		if err != nil {
			return
		}
		defer s.Close()
		for i := 1; i <= 3; i++ {
			if err := s.Encode(map[string]int{"n": i}); err != nil {
				return
			}
		}
	})

	rec := serve(r, "/records")
	fmt.Println(rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// application/x-ndjson
	// {"n":1}
	// {"n":2}
	// {"n":3}
}

// Conn hands gin's response to the core engine, for a stream of your own
// format.
func ExampleNewConn() {
	r := gin.New()
	r.Use(streamgin.Middleware(nil))
	r.GET("/log", func(c *gin.Context) {
		cn, err := streamgin.NewConn(c)
		if err != nil { // this writer cannot flush: answer normally
			c.String(http.StatusInternalServerError, "streaming unsupported")
			return
		}
		s, err := core.New(cn, &core.Options{ContentType: "text/plain; charset=utf-8"})
		if err != nil {
			return
		}
		defer s.Close()
		fmt.Fprintln(s, "line 1")
		fmt.Fprintln(s, "line 2")
	})

	rec := serve(r, "/log")
	fmt.Print(rec.Body.String())
	// Output:
	// line 1
	// line 2
}

// Resuming: sse.LastEventID reads the header, then the lastEventId query
// parameter; a malformed query is a 400.
func ExampleSSE_resume() {
	r := gin.New()
	r.Use(streamgin.Middleware(nil))
	r.GET("/events", func(c *gin.Context) {
		last, err := sse.LastEventID(c.Request)
		if err != nil {
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		s, err := streamgin.SSE(c, nil)
		if err != nil {
			return
		}
		defer s.Close()
		s.Send(&sse.Event{ID: "43", Data: "after " + last})
	})
	fmt.Print(serve(r, "/events", "Last-Event-ID", "42").Body.String())
	fmt.Print(serve(r, "/events?lastEventId=7").Body.String())
	bad := serve(r, "/events?lastEventId=%zz")
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
	r := gin.New()
	r.Use(streamgin.Middleware(nil))
	r.GET("/users", func(c *gin.Context) {
		s, err := streamgin.NDJSON(c, &ndjson.Options{Envelope: true})
		if err != nil {
			return
		}
		defer s.Close()
		ndjson.Seq(s, slices.Values([]string{"ada", "grace"}))
	})

	fmt.Print(serve(r, "/users").Body.String())
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
	r := gin.New()
	r.Use(streamgin.Middleware(nil))
	// A short lifetime ends this example's stream; real ones use hours.
	r.GET("/topics/:topic", streamgin.HubTopic(h, "topic", &sse.Options{MaxLifetime: 50 * time.Millisecond}))

	ctx := context.Background()
	first, _ := h.Publish(ctx, "chat", hub.Message{Type: "msg", Data: "hi"})
	h.Publish(ctx, "chat", hub.Message{Type: "msg", Data: "how are you?"})
	h.Publish(ctx, "chat", hub.Message{Type: "msg", Data: "fine"})

	rec := serve(r, "/topics/chat", "Last-Event-ID", first)
	for ev, err := range sse.NewReader(rec.Body, nil).All() {
		if err != nil {
			break
		}
		fmt.Println(ev.Type, ev.Data)
	}
	fmt.Println(serve(r, "/topics/no%20spaces").Code)
	// Output:
	// msg how are you?
	// msg fine
	// 400
}

func ExampleChunked() {
	r := gin.New()
	r.Use(streamgin.Middleware(nil))
	r.GET("/export.csv", func(c *gin.Context) {
		s, err := streamgin.Chunked(c, &chunked.Options{ContentType: "text/csv"})
		if err != nil {
			return
		}
		defer s.Close()
		c.Header("Content-Disposition", `attachment; filename="export.csv"`)
		chunked.Copy(s, strings.NewReader("id,name\n1,ada\n2,grace\n"), nil)
	})

	rec := serve(r, "/export.csv")
	fmt.Println(rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"))
	fmt.Print(rec.Body.String())
	// Output:
	// text/csv attachment; filename="export.csv"
	// id,name
	// 1,ada
	// 2,grace
}

func ExampleUpload() {
	r := gin.New()
	r.POST("/upload", func(c *gin.Context) {
		u, err := streamgin.Upload(c, &upload.Options{MaxBytes: 16})
		if err != nil {
			return // answered: 413 or 400 with the reason
		}
		n, err := io.Copy(io.Discard, u)
		if err != nil {
			c.String(upload.Status(err), err.Error())
			return
		}
		c.String(http.StatusOK, "got %d bytes", n)
	})

	for _, body := range []string{"hello", "far too long for the limit"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/upload", strings.NewReader(body)))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 200 got 5 bytes
	// 413 upload: too large: Content-Length 26 is over the limit of 16 bytes
}
