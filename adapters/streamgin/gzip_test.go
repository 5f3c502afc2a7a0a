package streamgin_test

import (
	"bufio"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapters/streamgin"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// TestGzip streams through gin-contrib/gzip: every event must reach the
// client on its own, and a one-second stream must outlive a 200 ms server
// WriteTimeout, which needs the deadline control the middleware captured
// before gzip hid it.
func TestGzip(t *testing.T) {
	t.Parallel()
	for _, tr := range []transport{http1, h2c} {
		t.Run(tr.String(), func(t *testing.T) {
			t.Parallel()
			const n = 11
			gotFirst := make(chan struct{})
			srv := start(t, setup{tr: tr, gzip: true, writeTimeout: 200 * time.Millisecond}, func(r *gin.Engine) {
				r.GET("/events", func(c *gin.Context) {
					s, err := streamgin.SSE(c, nil)
					if err != nil {
						t.Errorf("SSE: %v", err)
						return
					}
					defer s.Close()
					for i := range n {
						if err := s.Send(&sse.Event{Data: fmt.Sprint(i)}); err != nil {
							t.Errorf("event %d, %v into the stream: %v", i, time.Duration(i)*100*time.Millisecond, err)
							return
						}
						if i == 0 {
							select {
							case <-gotFirst:
							case <-time.After(5 * time.Second):
								t.Errorf("the client did not get event 0 before event 1 was due")
								return
							}
						} else {
							time.Sleep(100 * time.Millisecond)
						}
					}
				})
			})
			// Asking for gzip ourselves keeps the transport from
			// decompressing, so the test sees the encoding.
			resp := srv.get(t, "/events", "Accept-Encoding", "gzip")
			if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
				t.Fatalf("Content-Encoding = %q, want gzip", got)
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatalf("gzip header: %v", err)
			}
			r := sse.NewReader(zr, nil)
			first, err := r.Next()
			if err != nil || first.Data != "0" {
				t.Fatalf("first event = %q, %v; want %q", first.Data, err, "0")
			}
			close(gotFirst)
			more, err := rest(r)
			if err != nil {
				t.Fatalf("reading the rest of a 1s stream under a 200ms WriteTimeout: %v after %d events", err, len(more)+1)
			}
			if got := len(more) + 1; got != n {
				t.Errorf("got %d events, want %d", got, n)
			}
		})
	}
}

// TestGzipWithoutMiddleware shows why the middleware must come before
// gzip: gin-contrib/gzip's writer hides SetWriteDeadline, so without the
// controller captured earlier the server's WriteTimeout cuts the stream.
// Should gin-contrib/gzip gain an Unwrap method, this test fails and the
// documentation can drop the ordering rule.
func TestGzipWithoutMiddleware(t *testing.T) {
	t.Parallel()
	srv := start(t, setup{tr: http1, gzip: true, noMiddleware: true, writeTimeout: 200 * time.Millisecond}, func(r *gin.Engine) {
		r.GET("/events", func(c *gin.Context) {
			s, err := streamgin.SSE(c, nil)
			if err != nil {
				t.Errorf("SSE: %v", err)
				return
			}
			defer s.Close()
			for i := range 6 {
				if s.Send(&sse.Event{Data: fmt.Sprint(i)}) != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	})
	resp := srv.get(t, "/events", "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatalf("gzip header: %v", err)
	}
	evs, err := events(zr)
	if err == nil && len(evs) == 6 {
		t.Fatalf("a 600ms stream under gzip outlived a 200ms WriteTimeout without the middleware: has gin-contrib/gzip gained Unwrap?")
	}
	t.Logf("without the middleware: %d of 6 events, then %v", len(evs), err)
}

// TestGzipSlowClient checks that a stream's own write deadline still cuts
// off a client that stops reading, through gzip.
func TestGzipSlowClient(t *testing.T) {
	t.Parallel()
	result := make(chan error, 1)
	reg := &core.Registry{}
	srv := start(t, setup{tr: http1, gzip: true, cfg: &streamgin.Config{Registry: reg}}, func(r *gin.Engine) {
		r.GET("/events", func(c *gin.Context) {
			s, err := streamgin.SSE(c, &sse.Options{WriteTimeout: 200 * time.Millisecond})
			if err != nil {
				result <- err
				return
			}
			defer s.Close()
			// Random data does not compress, so the socket fills.
			raw := make([]byte, 48<<10)
			rand.Read(raw)
			data := base64.StdEncoding.EncodeToString(raw)
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				if err := s.Send(&sse.Event{Data: data}); err != nil {
					result <- err
					return
				}
			}
			result <- nil
		})
	})
	resp := srv.get(t, "/events", "Accept-Encoding", "gzip")
	br := bufio.NewReader(resp.Body)
	br.Peek(1) // the headers and a first chunk, then no more reading
	err := <-result
	if !errors.Is(err, core.ErrWriteTimeout) {
		t.Fatalf("writing to a client that stopped reading: %v, want an error matching core.ErrWriteTimeout", err)
	}
	if got := reg.Stats().SlowDisconnects; got != 1 {
		t.Errorf("SlowDisconnects = %d, want 1", got)
	}
}

// TestGzipEmptyStream: an event stream that ends before its first event
// still ends as a valid gzip body, without a second status line.
func TestGzipEmptyStream(t *testing.T) {
	t.Parallel()
	srv := start(t, setup{tr: http1, gzip: true}, func(r *gin.Engine) {
		r.GET("/events", func(c *gin.Context) {
			if s, err := streamgin.SSE(c, nil); err == nil {
				s.Close()
			}
		})
	})
	resp := srv.get(t, "/events", "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatalf("gzip header: %v", err)
	}
	evs, err := events(zr)
	if err != nil || len(evs) != 0 {
		t.Errorf("got %d events, %v; want none and a clean end", len(evs), err)
	}
	if log := srv.errLog.String(); log != "" {
		t.Errorf("server error log = %q, want nothing", log)
	}
}

// A handler that returns without closing its stream, behind gin-contrib/gzip
// inside streamkit's middleware: gzip has closed and pooled its compressor
// by the time the middleware ends the stream, which must not write into it.
func TestGzipInsideLeftOpen(t *testing.T) {
	t.Parallel()
	srv := start(t, setup{tr: http1, gzip: true}, func(r *gin.Engine) {
		r.GET("/events", func(c *gin.Context) {
			s, err := streamgin.SSE(c, &sse.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}})
			if err != nil {
				return
			}
			s.Send(&sse.Event{Data: "kept in the buffer"})
			s.Flush()
			s.Send(&sse.Event{Data: "left behind"})
			// no Close: the middleware ends the stream
		})
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				resp := srv.get(t, "/events", "Accept-Encoding", "gzip")
				zr, err := gzip.NewReader(resp.Body)
				if err != nil {
					t.Errorf("gzip: %v", err)
					return
				}
				body, err := io.ReadAll(zr)
				if err != nil {
					t.Errorf("reading the compressed body: %v (got %q)", err, body)
					return
				}
				if want := "data: kept in the buffer\n\n"; string(body) != want {
					t.Errorf("body %q, want %q", body, want)
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
}
