package streamhttp_test

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/streamhttp"
)

// TestPanicPassesOn: without Config.Recover, a panic reaches the recovery
// middleware outside unchanged, before and after the stream started, and
// the stream the handler left open writes nothing more.
func TestPanicPassesOn(t *testing.T) {
	boom := errors.New("boom")
	for _, proto := range protocols {
		for _, streaming := range []bool{false, true} {
			name := proto + "/BeforeStream"
			if streaming {
				name = proto + "/MidStream"
			}
			t.Run(name, func(t *testing.T) {
				seen := make(chan any, 1)
				outer := func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						defer func() {
							p := recover()
							seen <- p
							if p != nil && !streaming {
								http.Error(w, "outer recovery", http.StatusInternalServerError)
							}
						}()
						next.ServeHTTP(w, r)
					})
				}
				leaked := make(chan *sse.Stream, 1)
				mux := http.NewServeMux()
				mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
					if !streaming {
						panic(boom)
					}
					s, err := streamhttp.SSE(w, r, &sse.Options{Heartbeat: 5 * time.Millisecond})
					if err != nil {
						t.Errorf("SSE: %v", err)
						return
					}
					leaked <- s // no Close: the middleware must stop it
					s.Send(&sse.Event{Data: "one"})
					panic(boom)
				})
				srv := serve(t, proto, outer(streamhttp.Middleware(nil)(mux)))
				resp := srv.get(t, "/events")
				got := body(resp)
				if p := <-seen; p != boom { //nolint:errorlint // the very value
					t.Errorf("outer recovery saw %v, want the handler's panic value", p)
				}
				if !streaming {
					if resp.StatusCode != http.StatusInternalServerError || got != "outer recovery\n" {
						t.Errorf("got %d %q, want the outer recovery's 500", resp.StatusCode, got)
					}
					return
				}
				if resp.StatusCode != http.StatusOK || got != "data: one\n\n" {
					t.Errorf("got %d %q, want 200 and the one event", resp.StatusCode, got)
				}
				if err := (<-leaked).Send(&sse.Event{Data: "late"}); err == nil {
					t.Error("Send after the panic = nil, want an error: the stream must be stopped")
				}
			})
		}
	}
}

// TestRecover: with Config.Recover, a panic before a stream started is an
// ordinary 500; after, the stream ends cleanly; both are logged; a panic
// with http.ErrAbortHandler still goes on.
func TestRecover(t *testing.T) {
	cases := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantBody   string
		wantLog    string
	}{
		{
			name:       "BeforeStream",
			handler:    func(w http.ResponseWriter, r *http.Request) { panic("boom before") },
			wantStatus: http.StatusInternalServerError,
			wantBody:   "streamhttp: internal server error\n",
			wantLog:    "panic before streaming",
		},
		{
			name: "StreamNotStarted",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if _, err := streamhttp.NDJSON(w, r, nil); err != nil {
					return
				}
				panic("boom after NDJSON")
			},
			wantStatus: http.StatusInternalServerError,
			wantBody:   "streamhttp: internal server error\n",
			wantLog:    "panic before streaming",
		},
		{
			name: "MidStream",
			handler: func(w http.ResponseWriter, r *http.Request) {
				s, err := streamhttp.SSE(w, r, nil)
				if err != nil {
					return
				}
				s.Send(&sse.Event{Data: "one"})
				panic("boom mid-stream")
			},
			wantStatus: http.StatusOK,
			wantBody:   "data: one\n\n",
			wantLog:    "panic while streaming",
		},
	}
	for _, proto := range protocols {
		for _, tc := range cases {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				var logs syncBuffer
				cfg := &streamhttp.Config{Recover: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
				srv := serve(t, proto, streamhttp.Middleware(cfg)(tc.handler))
				resp := srv.get(t, "/")
				got := body(resp)
				if resp.StatusCode != tc.wantStatus || got != tc.wantBody {
					t.Errorf("got %d %q, want %d %q", resp.StatusCode, got, tc.wantStatus, tc.wantBody)
				}
				if tc.wantStatus == http.StatusInternalServerError {
					if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
						t.Errorf("Content-Type = %q, want text/plain", ct)
					}
					if resp.Header.Get("X-Accel-Buffering") != "" {
						t.Error("the 500 carries the stream's X-Accel-Buffering header")
					}
				}
				if l := logs.String(); !strings.Contains(l, tc.wantLog) || !strings.Contains(l, "boom") {
					t.Errorf("log = %q, want %q and the panic value", l, tc.wantLog)
				}
				if l := srv.errLog.String(); l != "" {
					t.Errorf("server error log = %q, want nothing", l)
				}
			})
		}
	}

	t.Run("AbortHandler", func(t *testing.T) {
		seen := make(chan any, 1)
		cfg := &streamhttp.Config{Recover: true, Logger: slog.New(slog.DiscardHandler)}
		h := streamhttp.Middleware(cfg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic(http.ErrAbortHandler)
		}))
		outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				seen <- recover()
				w.WriteHeader(http.StatusTeapot)
			}()
			h.ServeHTTP(w, r)
		})
		srv := serve(t, "HTTP/1.1", outer)
		srv.get(t, "/")
		if p := <-seen; p != http.ErrAbortHandler { //nolint:errorlint // the very value
			t.Errorf("outer saw %v, want http.ErrAbortHandler passed on", p)
		}
	})
}

// TestClosesLeftOpen: a stream the handler forgot to close is closed when
// the handler returns: what it buffered is sent, the registry counts it
// closed, and it refuses later writes.
func TestClosesLeftOpen(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			reg := &core.Registry{}
			leaked := make(chan *sse.Stream, 1)
			h := streamhttp.Middleware(&streamhttp.Config{Registry: reg})(http.HandlerFunc(
				func(w http.ResponseWriter, r *http.Request) {
					s, err := streamhttp.SSE(w, r, &sse.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}})
					if err != nil {
						return
					}
					s.Send(&sse.Event{Data: "buffered"})
					leaked <- s
				}))
			srv := serve(t, proto, h)
			resp := srv.get(t, "/")
			if got := body(resp); got != "data: buffered\n\n" {
				t.Errorf("body = %q, want the buffered event sent on close", got)
			}
			s := <-leaked
			if err := s.Send(&sse.Event{Data: "late"}); !errors.Is(err, core.ErrClosed) {
				t.Errorf("Send after the handler returned = %v, want core.ErrClosed", err)
			}
			if st := reg.Stats(); st.Active != 0 || st.Total != 1 {
				t.Errorf("registry stats = %+v, want 0 active of 1", st)
			}
		})
	}
}

// TestRegistry: the middleware's registry caps the streams the helpers
// open; a stream past the cap gets 503 with Retry-After.
func TestRegistry(t *testing.T) {
	reg := &core.Registry{Limit: 1}
	release := make(chan struct{})
	h := streamhttp.Middleware(&streamhttp.Config{Registry: reg})(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			s, err := streamhttp.SSE(w, r, nil)
			if err != nil {
				return
			}
			defer s.Close()
			select {
			case <-release:
			case <-s.Context().Done():
			}
		}))
	srv := serve(t, "HTTP/1.1", h)
	first := srv.get(t, "/") // its headers arrived: the stream is registered
	second := srv.get(t, "/")
	if second.StatusCode != http.StatusServiceUnavailable || second.Header.Get("Retry-After") == "" {
		t.Errorf("second stream: %d, Retry-After %q; want 503 with Retry-After", second.StatusCode, second.Header.Get("Retry-After"))
	}
	close(release)
	body(first)
	if st := reg.Stats(); st.Total != 1 {
		t.Errorf("registry admitted %d streams, want 1", st.Total)
	}
}

// TestUnsupportedWriter: under http.TimeoutHandler nothing can flush; the
// helpers answer 500 with the reason, and NewConn reports
// errors.ErrUnsupported before writing anything.
func TestUnsupportedWriter(t *testing.T) {
	errs := make(chan error, 2)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := streamhttp.NewConn(w, r)
		errs <- err
		_, err = streamhttp.SSE(w, r, nil)
		errs <- err
	})
	h := streamhttp.Middleware(nil)(http.TimeoutHandler(inner, time.Minute, "timeout"))
	srv := serve(t, "HTTP/1.1", h)
	resp := srv.get(t, "/")
	got := body(resp)
	for range 2 {
		if err := <-errs; !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("error = %v, want one matching errors.ErrUnsupported", err)
		}
	}
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(got, "cannot stream") {
		t.Errorf("got %d %q, want 500 with the reason", resp.StatusCode, got)
	}
}

// TestWithoutMiddleware: the helpers work without the middleware, with no
// registry.
func TestWithoutMiddleware(t *testing.T) {
	srv := serve(t, "HTTP/1.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := streamhttp.NDJSON(w, r, nil)
		if err != nil {
			return
		}
		defer s.Close()
		s.Encode(map[string]int{"n": 1})
	}))
	if got := body(srv.get(t, "/")); got != "{\"n\":1}\n" {
		t.Errorf("body = %q", got)
	}
}
