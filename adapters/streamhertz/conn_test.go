package streamhertz

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/network"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/sse"
)

// dial opens a raw TCP connection to the server at base, closed when the
// test ends.
func dial(t *testing.T, base string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	return c, bufio.NewReader(c)
}

func mustStream(t *testing.T, c context.Context, ctx *app.RequestContext, o *core.Options) *core.Stream {
	t.Helper()
	conn, err := NewConn(c, ctx)
	if err != nil {
		t.Errorf("Conn: %v", err)
		return nil
	}
	st, err := core.New(conn, o)
	if err != nil {
		t.Errorf("core.New: %v", err)
		return nil
	}
	return st
}

// TestHTTP10 checks that an HTTP/1.0 client gets a body it can read: no
// chunked encoding, Connection: close, the body ending at EOF, and each
// message delivered as it is flushed.
func TestHTTP10(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			gotFirst := make(chan struct{})
			h := newServer(t, tr)
			h.GET("/", func(c context.Context, ctx *app.RequestContext) {
				st := mustStream(t, c, ctx, &core.Options{ContentType: "text/plain"})
				if st == nil {
					return
				}
				defer st.Close()
				st.Write([]byte("one\n")) //nolint:errcheck
				select {
				case <-gotFirst:
				case <-time.After(5 * time.Second):
					t.Errorf("the HTTP/1.0 client did not get message 1 before message 2 was due")
				}
				st.Write([]byte("two\n")) //nolint:errcheck
			})
			base := startServer(t, h)
			conn, br := dial(t, base)
			io.WriteString(conn, "GET / HTTP/1.0\r\nHost: x\r\n\r\n") //nolint:errcheck
			status, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(status, "HTTP/1.") || !strings.Contains(status, " 200 ") {
				t.Fatalf("status line %q, %v", status, err)
			}
			hdr, err := textproto.NewReader(br).ReadMIMEHeader()
			if err != nil {
				t.Fatal(err)
			}
			if te, cl := hdr.Get("Transfer-Encoding"), hdr.Get("Content-Length"); te != "" || cl != "" {
				t.Errorf("Transfer-Encoding %q, Content-Length %q; want neither: a close-delimited body", te, cl)
			}
			if got := hdr.Get("Connection"); !strings.EqualFold(got, "close") {
				t.Errorf("Connection = %q, want close", got)
			}
			body := br
			if got, _ := body.ReadString('\n'); got != "one\n" {
				t.Fatalf("first line = %q, want %q", got, "one\n")
			}
			close(gotFirst)
			rest, err := io.ReadAll(body)
			if err != nil || string(rest) != "two\n" {
				t.Errorf("rest of the body = %q, %v; want %q ended by EOF", rest, err, "two\n")
			}
		})
	}
}

// TestRequestScope checks what hertz's connection-scoped context does not
// give: the Conn's context ends when the handler returns, and the next
// request on the same keep-alive connection is not bound by the write
// deadline the stream left behind.
func TestRequestScope(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ctxs := make(chan context.Context, 1)
			h := newServer(t, tr)
			h.GET("/stream", func(c context.Context, ctx *app.RequestContext) {
				st := mustStream(t, c, ctx, &core.Options{WriteTimeout: 30 * time.Millisecond})
				if st == nil {
					return
				}
				ctxs <- st.Context()
				st.Write([]byte("streamed\n")) //nolint:errcheck
				st.Close()                     //nolint:errcheck
			})
			h.GET("/plain", func(c context.Context, ctx *app.RequestContext) {
				ctx.String(http.StatusOK, strings.Repeat("p", 1<<20))
			})
			base := startServer(t, h)
			client := newClient(t)
			get := func(path string) (string, bool) {
				t.Helper()
				reused := false
				trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
				req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, base+path, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatalf("GET %s: reading the body: %v", path, err)
				}
				return string(b), reused
			}
			if got, _ := get("/stream"); got != "streamed\n" {
				t.Fatalf("stream body = %q", got)
			}
			sctx := <-ctxs
			select {
			case <-sctx.Done():
			case <-time.After(time.Second):
				t.Errorf("the stream's context was not done 1s after its handler returned")
			}
			// Past the stream's 30ms deadline: a deadline left on the
			// connection would cut this 1 MiB response.
			time.Sleep(60 * time.Millisecond)
			got, reused := get("/plain")
			if len(got) != 1<<20 {
				t.Errorf("the next response on the connection has %d bytes, want %d", len(got), 1<<20)
			}
			if !reused {
				t.Errorf("the second request did not reuse the keep-alive connection")
			}
		})
	}
}

// TestBodylessResponses checks HEAD requests and 204: the header alone, and
// a keep-alive connection that still works afterwards.
func TestBodylessResponses(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			h := newServer(t, tr)
			h.Any("/events", func(c context.Context, ctx *app.RequestContext) {
				s, err := SSE(c, ctx, nil)
				if err != nil {
					t.Errorf("SSE: %v", err)
					return
				}
				defer s.Close()
				err = s.Send(&sse.Event{Data: "x"})
				if ctx.IsHead() && !errors.Is(err, http.ErrBodyNotAllowed) {
					t.Errorf("sending an event on a HEAD response: %v, want ErrBodyNotAllowed", err)
				}
			})
			h.GET("/gone", func(c context.Context, ctx *app.RequestContext) {
				conn, err := NewConn(c, ctx)
				if err != nil {
					t.Errorf("Conn: %v", err)
					return
				}
				if err := sse.NoContent(conn); err != nil {
					t.Errorf("NoContent: %v", err)
				}
			})
			h.GET("/plain", func(c context.Context, ctx *app.RequestContext) {
				ctx.String(http.StatusOK, "plain")
			})
			base := startServer(t, h)
			conn, br := dial(t, base)
			for _, step := range []struct {
				method, path string
				status       int
				body         string
			}{
				{http.MethodHead, "/events", http.StatusOK, ""},
				{http.MethodGet, "/plain", http.StatusOK, "plain"},
				{http.MethodGet, "/gone", http.StatusNoContent, ""},
				{http.MethodGet, "/plain", http.StatusOK, "plain"},
			} {
				io.WriteString(conn, step.method+" "+step.path+" HTTP/1.1\r\nHost: x\r\n\r\n") //nolint:errcheck
				req, _ := http.NewRequest(step.method, base+step.path, nil)
				resp, err := http.ReadResponse(br, req)
				if err != nil {
					t.Fatalf("%s %s: %v", step.method, step.path, err)
				}
				b, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != step.status || string(b) != step.body {
					t.Errorf("%s %s: %d %q, %v; want %d %q", step.method, step.path, resp.StatusCode, b, err, step.status, step.body)
				}
			}
		})
	}
}

// TestOrdinaryAnswer checks that a handler that bound a Conn but never
// started a stream still answers normally, through every way hertz sets a
// body.
func TestOrdinaryAnswer(t *testing.T) {
	cases := []struct {
		name   string
		answer func(ctx *app.RequestContext)
	}{
		{"String", func(ctx *app.RequestContext) { ctx.String(http.StatusBadRequest, "bad %s", "input") }},
		{"SetBody", func(ctx *app.RequestContext) {
			ctx.SetStatusCode(http.StatusBadRequest)
			ctx.Response.SetBody([]byte("bad input"))
		}},
		{"Write", func(ctx *app.RequestContext) {
			ctx.SetStatusCode(http.StatusBadRequest)
			ctx.WriteString("bad ")    //nolint:errcheck
			ctx.Write([]byte("input")) //nolint:errcheck
		}},
		{"Data", func(ctx *app.RequestContext) { ctx.Data(http.StatusBadRequest, "text/plain", []byte("bad input")) }},
	}
	tr := transports[0]
	h := newServer(t, tr)
	for _, c := range cases {
		h.GET("/"+c.name, func(cc context.Context, ctx *app.RequestContext) {
			if _, err := NewConn(cc, ctx); err != nil {
				t.Errorf("Conn: %v", err)
				return
			}
			c.answer(ctx)
		})
	}
	base := startServer(t, h)
	client := newClient(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := client.Get(base + "/" + c.name)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusBadRequest || string(b) != "bad input" {
				t.Errorf("got %d %q, %v; want 400 %q", resp.StatusCode, b, err, "bad input")
			}
		})
	}
}

// TestSecondConn checks that a request is bound at most once, and that
// binding it leaves hertz's Keys map uncreated: an idle stream would pay a
// few hundred bytes for it.
func TestSecondConn(t *testing.T) {
	h := newServer(t, transports[0])
	h.GET("/", func(c context.Context, ctx *app.RequestContext) {
		if _, err := NewConn(c, ctx); err != nil {
			t.Errorf("first Conn: %v", err)
		}
		if ctx.Keys != nil {
			t.Errorf("Keys = %v after NewConn, want no map", ctx.Keys)
		}
		if _, err := NewConn(c, ctx); !errors.Is(err, errBound) {
			t.Errorf("second Conn: %v, want %v", err, errBound)
		}
		ctx.String(http.StatusOK, "ok")
	})
	base := startServer(t, h)
	resp, err := newClient(t).Get(base)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestSecondConnAfterReset checks that under Middleware a request stays
// bound once after a reset dropped the hijack writer, and that the
// middleware still ends the stream with its final chunk.
func TestSecondConnAfterReset(t *testing.T) {
	h := newServer(t, transports[0])
	h.GET("/", Middleware(nil), func(c context.Context, ctx *app.RequestContext) {
		st := mustStream(t, c, ctx, nil)
		if st == nil {
			return
		}
		defer st.Close()
		st.Write([]byte("one\n")) //nolint:errcheck
		st.Flush()                //nolint:errcheck
		ctx.Response.Reset()
		if _, err := NewConn(c, ctx); !errors.Is(err, errBound) {
			t.Errorf("Conn after a reset: %v, want %v", err, errBound)
		}
	})
	raw := rawExchange(t, startServer(t, h), "/")
	if n := strings.Count(raw, "HTTP/1.1 "); n != 1 || !strings.HasSuffix(raw, "one\n\r\n0\r\n\r\n") {
		t.Errorf("response = %q, want the stream alone, ended by its final chunk", raw)
	}
}

// TestUnsupported checks that Conn refuses, before writing anything, a
// request it cannot stream, with an error matching errors.ErrUnsupported.
func TestUnsupported(t *testing.T) {
	cases := []struct {
		name  string
		setup func(ctx *app.RequestContext)
	}{
		{"HTTP/2", func(ctx *app.RequestContext) { ctx.Request.Header.SetProtocol("HTTP/2.0") }},
		{"hijacked", func(ctx *app.RequestContext) { ctx.Hijack(func(network.Conn) {}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newServer(t, transports[0])
			h.GET("/", func(cc context.Context, ctx *app.RequestContext) {
				c.setup(ctx)
				_, err := NewConn(cc, ctx)
				if !errors.Is(err, errors.ErrUnsupported) {
					t.Errorf("Conn: %v, want an error matching errors.ErrUnsupported", err)
				}
				if ctx.Response.GetHijackWriter() != nil {
					t.Errorf("a refused Conn installed a hijack writer")
				}
				ctx.Hijack(nil)
				ctx.Request.Header.SetProtocol("HTTP/1.1")
				ctx.String(http.StatusTeapot, "refused")
			})
			base := startServer(t, h)
			resp, err := newClient(t).Get(base)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusTeapot {
				t.Errorf("status = %d, want %d", resp.StatusCode, http.StatusTeapot)
			}
		})
	}
}

// TestConnEndsWithHandler: once the handler chain has returned, the Conn
// refuses to write or flush, WriteFlush included, whether Middleware
// released it as the chain returned or hertz's finishing of the response
// did. A stream's own end usually stops it first; the release holds for a
// timer that fires as the handler returns.
func TestConnEndsWithHandler(t *testing.T) {
	for _, tr := range []transport{transports[0], transports[2]} {
		for _, mw := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/middleware=%v", tr.name, mw), func(t *testing.T) {
				kept := make(chan core.Conn, 1)
				handle := func(c context.Context, ctx *app.RequestContext) {
					cn, err := NewConn(c, ctx)
					if err != nil {
						t.Errorf("NewConn: %v", err)
					}
					kept <- cn
				}
				h := newServer(t, tr)
				if mw {
					h.GET("/", Middleware(nil), handle)
				} else {
					h.GET("/", handle)
				}
				client := newClient(t)
				resp, err := client.Get(startServer(t, h) + "/")
				if err != nil {
					t.Fatal(err)
				}
				io.ReadAll(resp.Body) //nolint:errcheck // only the end matters
				resp.Body.Close()
				client.CloseIdleConnections() // the server shuts down without waiting for it
				cn := <-kept
				if cn == nil {
					return
				}
				streamtest.CheckEnded(t, cn)
			})
		}
	}
}

// TestUnclosedStreamsEndWithTheirRequest checks that streams whose handlers
// return without Close end with their request, one after another on a
// kept-alive connection, whose hertz context lives on: each stream's
// context ends, and each leaves the registry, with and without
// Middleware, on every transport.
func TestUnclosedStreamsEndWithTheirRequest(t *testing.T) {
	for _, tr := range transports {
		for _, mw := range []bool{false, true} {
			name := tr.name
			if mw {
				name += "/middleware"
			}
			t.Run(name, func(t *testing.T) {
				reg := &core.Registry{}
				ctxs := make(chan context.Context, 1)
				handler := func(c context.Context, ctx *app.RequestContext) {
					s, err := SSE(c, ctx, &sse.Options{Registry: reg, Heartbeat: -1})
					if err != nil {
						t.Error(err)
						return
					}
					ctxs <- s.Context()
					s.Send(&sse.Event{Data: "one"}) //nolint:errcheck
					// Returning without Close, and no heartbeat would fail
					// after the request to end the stream.
				}
				h := newServer(t, tr)
				if mw {
					h.GET("/", Middleware(nil), handler)
				} else {
					h.GET("/", handler)
				}
				base := startServer(t, h)
				client := newClient(t)
				for i := range 4 {
					reused := false
					trace := &httptrace.ClientTrace{GotConn: func(c httptrace.GotConnInfo) { reused = c.Reused }}
					req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, base, nil)
					resp, err := client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || !strings.Contains(string(b), "data: one\n\n") {
						t.Fatalf("request %d: body = %q, %v", i, b, err)
					}
					if i > 0 && !reused {
						t.Errorf("request %d came on a new connection", i)
					}
					select {
					case <-(<-ctxs).Done():
					case <-time.After(time.Second):
						t.Fatalf("request %d: the stream's context was not done 1s after its handler returned", i)
					}
					deadline := time.Now().Add(time.Second)
					for reg.Stats().Active != 0 && time.Now().Before(deadline) {
						time.Sleep(time.Millisecond)
					}
					if n := reg.Stats().Active; n != 0 {
						t.Fatalf("request %d: %d streams still active 1s after the handler returned", i, n)
					}
				}
			})
		}
	}
}
