package streamhertz

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/middlewares/server/recovery"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// syncBuffer is a bytes.Buffer a logger may write from any goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rawExchange sends one HTTP/1.1 request that asks to close the connection
// and returns every byte the server sent until it did.
func rawExchange(t *testing.T, base, path string) string {
	t.Helper()
	conn, br := dial(t, base)
	io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") //nolint:errcheck
	b, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("reading the raw response: %v (got %q)", err, b)
	}
	return string(b)
}

func TestMiddlewarePanic(t *testing.T) {
	cases := []struct {
		name    string
		handler app.HandlerFunc
		// wantStream: the stream's bytes went out, so the response is the
		// stream, cleanly ended; otherwise an ordinary 500.
		wantStream bool
		wantLog    string
	}{
		{
			name: "mid-stream",
			handler: func(c context.Context, ctx *app.RequestContext) {
				s, err := SSE(c, ctx, nil)
				if err != nil {
					return
				}
				s.Send(&sse.Event{Data: "one"}) //nolint:errcheck
				panic("boom mid-stream")
			},
			wantStream: true,
			wantLog:    "panic while streaming",
		},
		{
			name: "before streaming",
			handler: func(c context.Context, ctx *app.RequestContext) {
				panic("boom before")
			},
			wantLog: "panic before streaming",
		},
		{
			name: "stream created, nothing sent",
			handler: func(c context.Context, ctx *app.RequestContext) {
				if _, err := NDJSON(c, ctx, nil); err != nil {
					return
				}
				panic("boom after NDJSON")
			},
			wantLog: "panic before streaming",
		},
	}
	for _, tr := range transports {
		for _, c := range cases {
			t.Run(tr.name+"/"+c.name, func(t *testing.T) {
				var logs syncBuffer
				mw := Middleware(&Config{Recover: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
				h := newServer(t, tr)
				h.GET("/", mw, c.handler)
				raw := rawExchange(t, startServer(t, h), "/")
				if n := strings.Count(raw, "HTTP/1.1 "); n != 1 {
					t.Errorf("the response holds %d status lines, want 1: %q", n, raw)
				}
				if c.wantStream {
					if !strings.HasPrefix(raw, "HTTP/1.1 200 OK\r\n") ||
						!strings.Contains(raw, "data: one\n\n") || !strings.HasSuffix(raw, "\r\n0\r\n\r\n") {
						t.Errorf("response = %q, want the stream with event one and a final chunk", raw)
					}
				} else {
					if !strings.HasPrefix(raw, "HTTP/1.1 500 ") ||
						!strings.Contains(raw, "Content-Type: text/plain; charset=utf-8\r\n") ||
						!strings.HasSuffix(raw, "\r\n\r\nstreamhertz: internal server error\n") {
						t.Errorf("response = %q, want a plain 500", raw)
					}
					if strings.Contains(raw, "X-Accel-Buffering") {
						t.Errorf("the 500 carries the stream's headers: %q", raw)
					}
				}
				if got := logs.String(); !strings.Contains(got, c.wantLog) || !strings.Contains(got, "boom") {
					t.Errorf("log = %q, want %q and the panic value", got, c.wantLog)
				}
			})
		}
	}
}

// TestMiddlewarePanicPassesOn: without Config.Recover, a panic reaches
// hertz's recovery middleware outside unchanged, before and after the
// stream started; the response is that middleware's 500 or the stream,
// cleanly ended, never both, and the stream left open writes nothing more.
func TestMiddlewarePanicPassesOn(t *testing.T) {
	boom := errors.New("boom")
	for _, tr := range transports {
		for _, streaming := range []bool{false, true} {
			name := tr.name + "/before streaming"
			if streaming {
				name = tr.name + "/mid-stream"
			}
			t.Run(name, func(t *testing.T) {
				seen := make(chan any, 1)
				outer := recovery.Recovery(recovery.WithRecoveryHandler(
					func(c context.Context, ctx *app.RequestContext, p any, stack []byte) {
						seen <- p
						ctx.AbortWithStatus(http.StatusInternalServerError) // as its default handler does
					}))
				leaked := make(chan *sse.Stream, 1)
				h := newServer(t, tr)
				h.GET("/", outer, Middleware(nil), func(c context.Context, ctx *app.RequestContext) {
					if !streaming {
						panic(boom)
					}
					s, err := SSE(c, ctx, &sse.Options{Heartbeat: 5 * time.Millisecond})
					if err != nil {
						t.Errorf("SSE: %v", err)
						return
					}
					leaked <- s                     // no Close: the middleware must stop it
					s.Send(&sse.Event{Data: "one"}) //nolint:errcheck
					panic(boom)
				})
				raw := rawExchange(t, startServer(t, h), "/")
				select {
				case p := <-seen:
					if p != boom { //nolint:errorlint // the very value
						t.Errorf("outer recovery saw %v, want the handler's panic value", p)
					}
				default:
					t.Error("outer recovery saw no panic")
				}
				if n := strings.Count(raw, "HTTP/1.1 "); n != 1 {
					t.Errorf("the response holds %d status lines, want 1: %q", n, raw)
				}
				if !streaming {
					if !strings.HasPrefix(raw, "HTTP/1.1 500 ") {
						t.Errorf("response = %q, want the outer recovery's 500", raw)
					}
					return
				}
				if !strings.HasPrefix(raw, "HTTP/1.1 200 OK\r\n") ||
					!strings.Contains(raw, "data: one\n\n") || !strings.HasSuffix(raw, "\r\n0\r\n\r\n") {
					t.Errorf("response = %q, want the stream with event one and a final chunk", raw)
				}
				if err := (<-leaked).Send(&sse.Event{Data: "late"}); err == nil {
					t.Error("Send after the panic = nil, want an error: the stream must be stopped")
				}
			})
		}
	}
}

// TestMiddlewareAfterReset checks that resetting the response after a
// stream went out (AbortWithMsg, as error handlers do) cannot make hertz
// write a second response after the stream.
func TestMiddlewareAfterReset(t *testing.T) {
	h := newServer(t, transports[0])
	h.GET("/", Middleware(nil), func(c context.Context, ctx *app.RequestContext) {
		s, err := SSE(c, ctx, nil)
		if err != nil {
			return
		}
		s.Send(&sse.Event{Data: "one"}) //nolint:errcheck
		s.Close()                       //nolint:errcheck
		ctx.AbortWithMsg("too late", http.StatusInternalServerError)
	})
	raw := rawExchange(t, startServer(t, h), "/")
	if n := strings.Count(raw, "HTTP/1.1 "); n != 1 || strings.Contains(raw, "too late") {
		t.Errorf("response = %q, want the stream alone", raw)
	}
	if !strings.HasSuffix(raw, "data: one\n\n\r\n0\r\n\r\n") {
		t.Errorf("response = %q, want the stream ended by its final chunk", raw)
	}
}

// TestMiddlewareUnsupported checks the clear 500 for a request the
// middleware cannot stream; hertz-contrib/http2's requests report
// HTTP/2.0, which an earlier middleware stands in for here.
func TestMiddlewareUnsupported(t *testing.T) {
	ran := false
	h := newServer(t, transports[0])
	h.GET("/", func(c context.Context, ctx *app.RequestContext) {
		ctx.Request.Header.SetProtocol("HTTP/2.0")
		ctx.Next(c)
	}, Middleware(nil), func(c context.Context, ctx *app.RequestContext) { ran = true })
	base := startServer(t, h)
	resp, err := newClient(t).Get(base)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(b), "cannot be streamed") {
		t.Errorf("got %d %q, want 500 with the reason", resp.StatusCode, b)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/plain", got)
	}
	if ran {
		t.Errorf("the handler ran after the middleware refused the request")
	}
}

// TestMiddlewareRegistry checks that the helpers join the middleware's
// registry, whose limit answers 503 with Retry-After.
func TestMiddlewareRegistry(t *testing.T) {
	reg := &core.Registry{Limit: 1, RetryAfter: 2 * time.Second}
	release := make(chan struct{})
	h := newServer(t, transports[0])
	h.GET("/", Middleware(&Config{Registry: reg}), func(c context.Context, ctx *app.RequestContext) {
		s, err := SSE(c, ctx, nil)
		if err != nil {
			return
		}
		defer s.Close()
		s.Send(&sse.Event{Data: "held"}) //nolint:errcheck
		select {
		case <-release:
		case <-s.Context().Done():
		}
	})
	base := startServer(t, h)
	client := newClient(t)
	first, err := client.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	if line, _ := bufio.NewReader(first.Body).ReadString('\n'); line != "data: held\n" {
		t.Fatalf("first stream: %q", line)
	}
	if got := reg.Stats().Active; got != 1 {
		t.Errorf("Active = %d, want 1", got)
	}
	second, err := client.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(second.Body)
	second.Body.Close()
	close(release)
	if second.StatusCode != http.StatusServiceUnavailable || second.Header.Get("Retry-After") != "2" ||
		!strings.Contains(string(body), "too many") {
		t.Errorf("second stream: %d Retry-After %q %q; want 503, 2 and a reason",
			second.StatusCode, second.Header.Get("Retry-After"), body)
	}
}

// TestMiddlewareClosesStreams checks that a stream the handler forgot to
// close still delivers what it buffered.
func TestMiddlewareClosesStreams(t *testing.T) {
	h := newServer(t, transports[0])
	h.GET("/", Middleware(nil), func(c context.Context, ctx *app.RequestContext) {
		s, err := NDJSON(c, ctx, &ndjson.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}})
		if err != nil {
			return
		}
		s.Encode(map[string]int{"n": 1}) //nolint:errcheck
	})
	base := startServer(t, h)
	resp, err := newClient(t).Get(base)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "{\"n\":1}\n" {
		t.Errorf("body = %q, %v; want the buffered record", b, err)
	}
}

// TestHelpersWithoutMiddleware checks that the helpers work alone, and
// that the binding then releases itself when hertz finishes the response.
func TestHelpersWithoutMiddleware(t *testing.T) {
	ctxs := make(chan context.Context, 1)
	h := newServer(t, transports[0])
	h.GET("/", func(c context.Context, ctx *app.RequestContext) {
		s, err := SSE(c, ctx, &sse.Options{Heartbeat: time.Millisecond})
		if err != nil {
			return
		}
		ctxs <- s.Context()
		s.Send(&sse.Event{Data: "one"}) //nolint:errcheck
		// Returning without Close: heartbeats must not outlive the handler.
	})
	base := startServer(t, h)
	resp, err := newClient(t).Get(base)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || !strings.Contains(string(b), "data: one\n\n") {
		t.Errorf("body = %q, %v", b, err)
	}
	select {
	case <-(<-ctxs).Done():
	case <-time.After(time.Second):
		t.Errorf("the stream's context was not done 1s after its handler returned")
	}
}
