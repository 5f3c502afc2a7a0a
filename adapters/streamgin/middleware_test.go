package streamgin_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapters/streamgin"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// TestPanicMidStream: with Config.Recover, a handler that panics after its
// stream started is logged, its client sees a cleanly ended stream, no handler after it runs,
// and nothing tries to send a second status line.
func TestPanicMidStream(t *testing.T) {
	for _, s := range []setup{{tr: http1}, {tr: h2c}, {tr: http1, gzip: true}} {
		t.Run(s.name(), func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			recoveryLog := &syncBuffer{}
			var after atomic.Bool
			s.cfg = &streamgin.Config{Recover: true, Logger: slog.New(slog.NewTextHandler(logs, nil))}
			// gin's own Recovery outside: it must find nothing to do.
			s.outer = []gin.HandlerFunc{gin.RecoveryWithWriter(recoveryLog)}
			srv := start(t, s, func(r *gin.Engine) {
				r.GET("/events", func(c *gin.Context) {
					st, err := streamgin.SSE(c, &sse.Options{Heartbeat: 5 * time.Millisecond})
					if err != nil {
						t.Errorf("SSE: %v", err)
						return
					}
					defer st.Close()
					st.Send(&sse.Event{Data: "one"})
					panic("boom")
				}, func(c *gin.Context) { after.Store(true) })
			})
			resp := srv.get(t, "/events")
			evs, err := events(resp.Body)
			if err != nil {
				t.Fatalf("stream ended with %v, want a clean end", err)
			}
			if got := strings.Join(datas(evs), ","); got != "one" {
				t.Errorf("events = %q, want %q", got, "one")
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status = %d, want 200", resp.StatusCode)
			}
			srv.Client.CloseIdleConnections()
			time.Sleep(20 * time.Millisecond) // let a heartbeat try to write, in vain
			if after.Load() {
				t.Errorf("the handler after the one that panicked ran")
			}
			if got := logs.String(); !strings.Contains(got, "panic while streaming") || !strings.Contains(got, "boom") {
				t.Errorf("log = %q, want the panic", got)
			}
			if got := recoveryLog.String(); got != "" {
				t.Errorf("gin's Recovery logged %q, want nothing", got)
			}
			if got := srv.errLog.String(); strings.Contains(got, "superfluous") || got != "" {
				t.Errorf("server error log = %q, want nothing", got)
			}
		})
	}
}

// TestPanicBeforeStream: with Config.Recover, a panic before anything was
// sent becomes an ordinary 500 with a plain-text body.
func TestPanicBeforeStream(t *testing.T) {
	logs := &syncBuffer{}
	srv := start(t, setup{tr: http1, gzip: true, cfg: &streamgin.Config{
		Recover: true,
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	}}, func(r *gin.Engine) {
		r.GET("/events", func(c *gin.Context) {
			c.Header("Content-Type", sse.ContentType)
			panic(errors.New("no database"))
		})
	})
	resp := srv.get(t, "/events")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/plain", got)
	}
	if got := string(body); got != "streamgin: internal server error\n" {
		t.Errorf("body = %q", got)
	}
	if got := logs.String(); !strings.Contains(got, "panic before streaming") || !strings.Contains(got, "no database") {
		t.Errorf("log = %q, want the panic", got)
	}
	if got := srv.errLog.String(); got != "" {
		t.Errorf("server error log = %q, want nothing", got)
	}
}

// TestPanicPassesOn: without Config.Recover, a panic reaches the recovery
// middleware outside unchanged, before and after the stream started, and
// the stream the handler left open writes nothing more.
func TestPanicPassesOn(t *testing.T) {
	boom := errors.New("boom")
	for _, streaming := range []bool{false, true} {
		for _, s := range []setup{{tr: http1}, {tr: h2c}} {
			name := s.name() + "/BeforeStream"
			if streaming {
				name = s.name() + "/MidStream"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				seen := make(chan any, 1)
				s.outer = []gin.HandlerFunc{func(c *gin.Context) {
					defer func() {
						p := recover()
						seen <- p
						if p != nil && !c.Writer.Written() {
							c.String(http.StatusInternalServerError, "outer recovery")
						}
					}()
					c.Next()
				}}
				var leaked *sse.Stream
				srv := start(t, s, func(r *gin.Engine) {
					r.GET("/events", func(c *gin.Context) {
						if !streaming {
							panic(boom)
						}
						st, err := streamgin.SSE(c, &sse.Options{Heartbeat: 5 * time.Millisecond})
						if err != nil {
							t.Errorf("SSE: %v", err)
							return
						}
						leaked = st // no Close: the middleware must stop it
						st.Send(&sse.Event{Data: "one"})
						panic(boom)
					})
				})
				resp := srv.get(t, "/events")
				body, _ := io.ReadAll(resp.Body)
				if p := <-seen; p != boom { //nolint:errorlint // the very value
					t.Errorf("outer recovery saw %v, want the handler's panic value", p)
				}
				if !streaming {
					if resp.StatusCode != http.StatusInternalServerError || string(body) != "outer recovery" {
						t.Errorf("got %d %q, want the outer recovery's 500", resp.StatusCode, body)
					}
					return
				}
				if resp.StatusCode != http.StatusOK || string(body) != "data: one\n\n" {
					t.Errorf("got %d %q, want 200 and the one event", resp.StatusCode, body)
				}
				if leaked == nil {
					t.Fatal("the handler opened no stream")
				}
				if err := leaked.Send(&sse.Event{Data: "late"}); err == nil {
					t.Error("Send after the panic = nil, want an error: the stream must be stopped")
				}
			})
		}
	}
}

// TestErrorPathAfterStreamStarted: once a stream has started, gin knows
// the response is written, so an error response a handler (or an error
// middleware) attempts afterwards cannot send a second status line.
func TestErrorPathAfterStreamStarted(t *testing.T) {
	for _, s := range []setup{{tr: http1}, {tr: h2c}, {tr: http1, gzip: true}, {tr: http1, noMiddleware: true}} {
		t.Run(s.name(), func(t *testing.T) {
			t.Parallel()
			type books struct {
				written     bool
				status      int
				size        int
				statusAfter int
			}
			got := make(chan books, 1)
			srv := start(t, s, func(r *gin.Engine) {
				r.GET("/events", func(c *gin.Context) {
					st, err := streamgin.SSE(c, nil)
					if err != nil {
						t.Errorf("SSE: %v", err)
						got <- books{}
						return
					}
					st.Send(&sse.Event{Data: "one"})
					st.Close()
					b := books{written: c.Writer.Written(), status: c.Writer.Status(), size: c.Writer.Size()}
					c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "late"})
					b.statusAfter = c.Writer.Status()
					got <- b
				})
			})
			resp := srv.get(t, "/events")
			io.ReadAll(resp.Body)
			b := <-got
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status = %d, want 200", resp.StatusCode)
			}
			if !b.written || b.status != http.StatusOK || b.size <= 0 {
				t.Errorf("gin's writer after the stream: Written %v, Status %d, Size %d; want true, 200, > 0", b.written, b.status, b.size)
			}
			// gin-contrib/gzip's writer reports the status last asked
			// for, although gin's own writer below it refused it.
			if b.statusAfter != http.StatusOK && !s.gzip {
				t.Errorf("gin's Status after the late error = %d, want 200", b.statusAfter)
			}
			if log := srv.errLog.String(); log != "" {
				t.Errorf("server error log = %q, want nothing", log)
			}
		})
	}
}

// TestUnsupportedWriter: under http.TimeoutHandler the writer cannot
// flush; the helpers answer 500 with the reason instead of panicking, and
// Conn reports errors.ErrUnsupported before writing anything.
func TestUnsupportedWriter(t *testing.T) {
	connErr := make(chan error, 1)
	r := gin.New()
	r.Use(streamgin.Middleware(nil))
	r.GET("/sse", func(c *gin.Context) {
		if s, err := streamgin.SSE(c, nil); err == nil {
			s.Close()
			t.Errorf("SSE under TimeoutHandler: no error")
		}
	})
	r.GET("/conn", func(c *gin.Context) {
		_, err := streamgin.NewConn(c)
		connErr <- err
		c.String(http.StatusTeapot, "answered normally")
	})
	srv := start(t, setup{tr: http1, noMiddleware: true}, func(e *gin.Engine) {
		e.Any("/*path", gin.WrapH(http.TimeoutHandler(r, time.Minute, "timeout")))
	})

	resp := srv.get(t, "/sse")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", resp.StatusCode)
	}
	if !bytes.Contains(body, []byte("cannot flush")) || !bytes.Contains(body, []byte("timeoutWriter")) {
		t.Errorf("body = %q, want the reason", body)
	}

	resp = srv.get(t, "/conn")
	body, _ = io.ReadAll(resp.Body)
	if err := <-connErr; !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Conn: %v, want an error matching errors.ErrUnsupported", err)
	}
	if resp.StatusCode != http.StatusTeapot || string(body) != "answered normally" {
		t.Errorf("after Conn failed: %d %q, want 418 %q", resp.StatusCode, body, "answered normally")
	}
}

// TestRegistry: the middleware's registry counts and caps the helpers'
// streams; a registry in the options takes precedence.
func TestRegistry(t *testing.T) {
	reg := &core.Registry{Limit: 1, RetryAfter: 2 * time.Second}
	own := &core.Registry{}
	release := make(chan struct{})
	srv := start(t, setup{tr: http1, cfg: &streamgin.Config{Registry: reg}}, func(r *gin.Engine) {
		r.GET("/held", func(c *gin.Context) {
			s, err := streamgin.SSE(c, nil)
			if err != nil {
				return
			}
			defer s.Close()
			s.Send(&sse.Event{Data: "held"})
			<-release
		})
		r.GET("/own", func(c *gin.Context) {
			s, err := streamgin.NDJSON(c, nil)
			if err == nil {
				t.Errorf("NDJSON past the limit: no error")
				s.Close()
			} else if !errors.Is(err, core.ErrTooManyStreams) {
				t.Errorf("NDJSON past the limit: %v, want ErrTooManyStreams", err)
			}
			// The 503 has been sent: no second stream on this response,
			// and nothing counted in another registry.
			if s2, err := streamgin.SSE(c, &sse.Options{Registry: own}); err == nil {
				t.Errorf("SSE after the 503: no error")
				s2.Close()
			}
		})
	})
	first := srv.get(t, "/held")
	if _, err := sse.NewReader(first.Body, nil).Next(); err != nil {
		t.Fatal(err)
	}
	resp := srv.get(t, "/own")
	body, _ := io.ReadAll(resp.Body)
	close(release)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("past the limit: %d, Retry-After %q; want 503, 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !bytes.Contains(body, []byte("too many")) {
		t.Errorf("503 body = %q, want the reason", body)
	}
	if got := own.Stats().Total; got != 0 {
		t.Errorf("own registry Total = %d, want 0", got)
	}
	if got := reg.Stats().Total; got != 1 {
		t.Errorf("middleware registry Total = %d, want 1", got)
	}
}
