package streamechov5_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/sse"
)

// discard is a response writer that flushes and keeps nothing, so the
// benchmarks measure echo, the binding and the engine, not a socket.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}
func (d *discard) FlushError() error           { return nil }

// BenchmarkSend is the cost of one event on an open stream: encoding,
// echo's Response and a flush through the binding.
func BenchmarkSend(b *testing.B) {
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	e.GET("/", func(c *echo.Context) error {
		s, err := streamechov5.SSE(c, &sse.Options{Heartbeat: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		ev := sse.Event{ID: "42", Type: "tick", Data: `{"n":42}`}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Send(&ev); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
	e.ServeHTTP(&discard{h: http.Header{}}, httptest.NewRequest(http.MethodGet, "/", nil))
}

// BenchmarkOpen is the cost of a whole stream request through echo: the
// middleware, the binding, the stream's headers, one event and the close.
func BenchmarkOpen(b *testing.B) {
	e := echo.New()
	e.Use(streamechov5.Middleware(nil))
	ev := sse.Event{Data: "hello"}
	e.GET("/", func(c *echo.Context) error {
		s, err := streamechov5.SSE(c, &sse.Options{Heartbeat: -1})
		if err != nil {
			b.Fatal(err)
		}
		s.Send(&ev)
		return s.Close()
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		e.ServeHTTP(&discard{h: http.Header{}}, req)
	}
}
