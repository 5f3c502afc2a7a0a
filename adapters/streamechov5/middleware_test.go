package streamechov5_test

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

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// TestPanicMidStream: a handler that panics after its stream started is
// logged, its client sees a cleanly ended stream, and nothing tries to
// send a second status line.
func TestPanicMidStream(t *testing.T) {
	for _, s := range []setup{{tr: http1}, {tr: h2c}, {tr: http1, gzip: true}} {
		t.Run(s.name(), func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			var recovered atomic.Bool
			s.cfg = &streamechov5.Config{Recover: true, Logger: slog.New(slog.NewTextHandler(logs, nil))}
			// echo's own Recover outside, which turns a panic into an
			// error: it must find nothing to do.
			s.outer = []echo.MiddlewareFunc{func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c *echo.Context) error {
					err := next(c)
					if _, ok := errors.AsType[*middleware.PanicStackError](err); ok {
						recovered.Store(true)
					}
					return err
				}
			}, middleware.Recover()}
			srv := start(t, s, func(e *echo.Echo) {
				e.GET("/events", func(c *echo.Context) error {
					st, err := streamechov5.SSE(c, &sse.Options{Heartbeat: 5 * time.Millisecond})
					if err != nil {
						t.Errorf("SSE: %v", err)
						return err
					}
					defer st.Close()
					st.Send(&sse.Event{Data: "one"})
					panic("boom")
				})
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
			time.Sleep(20 * time.Millisecond) // let a heartbeat try to write, in vain
			if got := logs.String(); !strings.Contains(got, "panic while streaming") || !strings.Contains(got, "boom") {
				t.Errorf("log = %q, want the panic", got)
			}
			if recovered.Load() {
				t.Errorf("echo's Recover saw the panic")
			}
			if got := srv.errLog.String() + srv.echoLog.String(); got != "" {
				t.Errorf("logs = %q, want nothing", got)
			}
		})
	}
}

// TestPanicBeforeStream: a panic before anything was sent becomes an
// ordinary 500 with a plain-text body.
func TestPanicBeforeStream(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	srv := start(t, setup{tr: http1, gzip: true, cfg: &streamechov5.Config{
		Recover: true,
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	}}, func(e *echo.Echo) {
		e.GET("/events", func(c *echo.Context) error {
			c.Response().Header().Set(echo.HeaderContentType, sse.ContentType)
			panic(errors.New("no database"))
		})
	})
	resp := srv.get(t, "/events")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type = %q, want text/plain", got)
	}
	if got := string(body); got != "streamechov5: internal server error\n" {
		t.Errorf("body = %q", got)
	}
	if got := logs.String(); !strings.Contains(got, "panic before streaming") || !strings.Contains(got, "no database") {
		t.Errorf("log = %q, want the panic", got)
	}
	if got := srv.errLog.String() + srv.echoLog.String(); got != "" {
		t.Errorf("logs = %q, want nothing", got)
	}
}

// TestPanicPassesOn: without Config.Recover, a panic reaches the recovery
// middleware outside unchanged, before and after the stream started, and
// the stream the handler left open writes nothing more.
func TestPanicPassesOn(t *testing.T) {
	t.Parallel()
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
				s.outer = []echo.MiddlewareFunc{func(next echo.HandlerFunc) echo.HandlerFunc {
					return func(c *echo.Context) (err error) {
						defer func() {
							p := recover()
							seen <- p
							if res, _ := echo.UnwrapResponse(c.Response()); p != nil && !res.Committed {
								err = c.String(http.StatusInternalServerError, "outer recovery")
							}
						}()
						return next(c)
					}
				}}
				var leaked *sse.Stream
				srv := start(t, s, func(e *echo.Echo) {
					e.GET("/events", func(c *echo.Context) error {
						if !streaming {
							panic(boom)
						}
						st, err := streamechov5.SSE(c, &sse.Options{Heartbeat: 5 * time.Millisecond})
						if err != nil {
							t.Errorf("SSE: %v", err)
							return err
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

// TestErrorAfterStreamStarted: the stream commits echo's response before
// its first flush, so an error the handler returns afterwards is dropped
// by echo's error handler instead of answered with a second status line.
func TestErrorAfterStreamStarted(t *testing.T) {
	for _, s := range []setup{{tr: http1}, {tr: h2c}, {tr: http1, gzip: true}, {tr: http1, noMiddleware: true}} {
		t.Run(s.name(), func(t *testing.T) {
			t.Parallel()
			type books struct {
				committed bool
				status    int
				size      int64
			}
			got := make(chan books, 1)
			srv := start(t, s, func(e *echo.Echo) {
				e.GET("/events", func(c *echo.Context) error {
					st, err := streamechov5.SSE(c, nil)
					if err != nil {
						t.Errorf("SSE: %v", err)
						got <- books{}
						return err
					}
					st.Send(&sse.Event{Data: "one"})
					st.Close()
					res, err := echo.UnwrapResponse(c.Response())
					if err != nil {
						t.Errorf("UnwrapResponse: %v", err)
						got <- books{}
						return nil
					}
					got <- books{committed: res.Committed, status: res.Status, size: res.Size}
					return errors.New("late")
				})
			})
			resp := srv.get(t, "/events")
			evs, err := events(resp.Body)
			b := <-got
			if resp.StatusCode != http.StatusOK || err != nil || len(evs) != 1 {
				t.Errorf("got %d with %d events, %v; want 200, 1, nil", resp.StatusCode, len(evs), err)
			}
			if !b.committed || b.status != http.StatusOK || b.size <= 0 {
				t.Errorf("echo's response after the stream: Committed %v, Status %d, Size %d; want true, 200, > 0", b.committed, b.status, b.size)
			}
			if log := srv.errLog.String() + srv.echoLog.String(); log != "" {
				t.Errorf("logs = %q, want nothing", log)
			}
		})
	}
}

// TestCannotFlush: echo served behind http.TimeoutHandler, whose writer
// buffers the whole response and cannot flush (echo v5 has no Timeout
// middleware of its own; this is the way left to get one). The helpers
// answer 500 with the reason instead of the panic of echo's
// Response.Flush, also under Gzip, whose Flush would reach it, and Conn
// reports errors.ErrUnsupported before writing anything.
func TestCannotFlush(t *testing.T) {
	t.Parallel()
	for _, s := range []setup{{tr: http1}, {tr: http1, gzip: true}} {
		t.Run(s.name(), func(t *testing.T) {
			t.Parallel()
			connErr := make(chan error, 1)
			s.wrap = func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Minute, "timed out") }
			srv := start(t, s, func(e *echo.Echo) {
				e.GET("/sse", func(c *echo.Context) error {
					s, err := streamechov5.SSE(c, nil)
					if err == nil {
						s.Close()
						t.Errorf("SSE behind TimeoutHandler: no error")
					} else if echo.StatusCode(err) != http.StatusInternalServerError || !errors.Is(err, errors.ErrUnsupported) {
						t.Errorf("SSE behind TimeoutHandler: %v, want a 500 matching errors.ErrUnsupported", err)
					}
					return err // already answered: echo's error handler leaves it
				})
				e.GET("/ndjson", func(c *echo.Context) error {
					s, err := streamechov5.NDJSON(c, nil)
					if err == nil {
						s.Close()
						t.Errorf("NDJSON behind TimeoutHandler: no error")
					}
					return nil
				})
				e.GET("/conn", func(c *echo.Context) error {
					_, err := streamechov5.NewConn(c)
					connErr <- err
					return c.String(http.StatusTeapot, "answered normally")
				})
			})

			for _, path := range []string{"/sse", "/ndjson"} {
				t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
					resp := srv.get(t, path)
					body, _ := io.ReadAll(resp.Body)
					if resp.StatusCode != http.StatusInternalServerError {
						t.Errorf("status = %d, want 500", resp.StatusCode)
					}
					if got := resp.Header.Get("Content-Type"); got != echo.MIMETextPlainCharsetUTF8 {
						t.Errorf("Content-Type = %q, want %q", got, echo.MIMETextPlainCharsetUTF8)
					}
					if !bytes.HasPrefix(body, []byte("streamechov5: cannot stream:")) || !bytes.Contains(body, []byte("timeoutWriter")) ||
						bytes.Count(body, []byte("\n")) != 1 {
						t.Errorf("body = %q, want the reason, once", body)
					}
				})
			}
			t.Run("conn", func(t *testing.T) {
				resp := srv.get(t, "/conn")
				body, _ := io.ReadAll(resp.Body)
				if err := <-connErr; !errors.Is(err, errors.ErrUnsupported) {
					t.Errorf("Conn: %v, want an error matching errors.ErrUnsupported", err)
				}
				if resp.StatusCode != http.StatusTeapot || string(body) != "answered normally" {
					t.Errorf("after Conn failed: %d %q, want 418 %q", resp.StatusCode, body, "answered normally")
				}
			})
			if log := srv.errLog.String() + srv.echoLog.String(); log != "" {
				t.Errorf("logs = %q, want nothing", log)
			}
		})
	}
}

// TestRegistry: the middleware's registry counts and caps the helpers'
// streams; a registry in the options takes precedence.
func TestRegistry(t *testing.T) {
	t.Parallel()
	reg := &core.Registry{Limit: 1, RetryAfter: 2 * time.Second}
	own := &core.Registry{}
	release := make(chan struct{})
	srv := start(t, setup{tr: http1, cfg: &streamechov5.Config{Registry: reg}}, func(e *echo.Echo) {
		e.GET("/held", func(c *echo.Context) error {
			s, err := streamechov5.SSE(c, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			s.Send(&sse.Event{Data: "held"})
			<-release
			return nil
		})
		e.GET("/refused", func(c *echo.Context) error {
			s, err := streamechov5.NDJSON(c, nil)
			if err == nil {
				t.Errorf("NDJSON past the limit: no error")
				s.Close()
			} else if !errors.Is(err, core.ErrTooManyStreams) {
				t.Errorf("NDJSON past the limit: %v, want ErrTooManyStreams", err)
			}
			// The 503 has been sent: no second stream on this response,
			// and nothing counted in another registry.
			if s2, err := streamechov5.SSE(c, &sse.Options{Registry: own}); err == nil {
				t.Errorf("SSE after the 503: no error")
				s2.Close()
			}
			return err
		})
	})
	first := srv.get(t, "/held")
	if _, err := sse.NewReader(first.Body, nil).Next(); err != nil {
		t.Fatal(err)
	}
	resp := srv.get(t, "/refused")
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
