package core_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// netHTTPHandler serves every request with handle and the net/http Conn.
func netHTTPHandler(t *testing.T, handle func(core.Conn)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			t.Errorf("NewHTTPConn: %v", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		handle(c)
	})
}

func TestConformanceHTTP1(t *testing.T) {
	streamtest.Run(t, streamtest.Harness{
		Proto: "HTTP/1.1",
		Serve: func(t *testing.T, cfg streamtest.ServerConfig, handle func(core.Conn)) string {
			srv := httptest.NewUnstartedServer(netHTTPHandler(t, handle))
			srv.Config.WriteTimeout = cfg.WriteTimeout
			srv.Start()
			t.Cleanup(srv.Close)
			return srv.URL
		},
	})
}

func TestConformanceHTTP2TLS(t *testing.T) {
	var client *http.Client
	streamtest.Run(t, streamtest.Harness{
		Proto: "HTTP/2.0",
		Serve: func(t *testing.T, cfg streamtest.ServerConfig, handle func(core.Conn)) string {
			srv := httptest.NewUnstartedServer(netHTTPHandler(t, handle))
			srv.EnableHTTP2 = true
			srv.Config.WriteTimeout = cfg.WriteTimeout
			srv.StartTLS()
			t.Cleanup(srv.Close)
			client = srv.Client()
			return srv.URL
		},
		Client: func(t *testing.T) *http.Client { return client },
	})
}

func h2cProtocols() *http.Protocols {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &p
}

func TestConformanceH2C(t *testing.T) {
	streamtest.Run(t, streamtest.Harness{
		Proto: "HTTP/2.0",
		Serve: func(t *testing.T, cfg streamtest.ServerConfig, handle func(core.Conn)) string {
			srv := httptest.NewUnstartedServer(netHTTPHandler(t, handle))
			srv.Config.Protocols = h2cProtocols()
			srv.Config.WriteTimeout = cfg.WriteTimeout
			srv.Start()
			t.Cleanup(srv.Close)
			return srv.URL
		},
		Client: func(t *testing.T) *http.Client {
			return &http.Client{Transport: &http.Transport{Protocols: h2cProtocols()}}
		},
	})
}

// flushOnly hides FlushError and deadlines behind a plain Flush, like many
// third-party wrappers.
type flushOnly struct{ http.ResponseWriter }

func (f flushOnly) Flush() { f.ResponseWriter.(http.Flusher).Flush() }

// noFlush hides every capability and does not unwrap.
type noFlush struct{ http.ResponseWriter }

// unwrapping adds nothing but an Unwrap, like a logging wrapper.
type unwrapping struct{ http.ResponseWriter }

func (u unwrapping) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func TestNewHTTPConnCapabilities(t *testing.T) {
	tests := []struct {
		name         string
		wrap         func(http.ResponseWriter) http.ResponseWriter
		wantErr      bool
		wantDeadline bool
	}{
		{"plain", func(w http.ResponseWriter) http.ResponseWriter { return w }, false, true},
		{"unwrap chain", func(w http.ResponseWriter) http.ResponseWriter { return unwrapping{unwrapping{w}} }, false, true},
		{"flush-only wrapper", func(w http.ResponseWriter) http.ResponseWriter { return flushOnly{w} }, false, false},
		{"opaque wrapper", func(w http.ResponseWriter) http.ResponseWriter { return noFlush{w} }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := core.NewHTTPConn(tt.wrap(w), r)
				if (err != nil) != tt.wantErr {
					t.Errorf("NewHTTPConn error = %v, want error: %v", err, tt.wantErr)
				}
				if err != nil {
					if !errors.Is(err, errors.ErrUnsupported) {
						t.Errorf("error %v does not match errors.ErrUnsupported", err)
					}
					http.Error(w, "cannot stream", http.StatusNotImplemented)
					return
				}
				derr := c.SetWriteDeadline(time.Now().Add(time.Minute))
				if (derr == nil) != tt.wantDeadline {
					t.Errorf("SetWriteDeadline error = %v, want supported: %v", derr, tt.wantDeadline)
				}
				if derr != nil && !errors.Is(derr, errors.ErrUnsupported) {
					t.Errorf("SetWriteDeadline error %v does not match errors.ErrUnsupported", derr)
				}
				st, _ := core.New(c, nil)
				st.Write([]byte("ok\n"))
				st.Close()
			}))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantStatus, wantBody := 200, "ok\n"
			if tt.wantErr {
				wantStatus, wantBody = 501, "cannot stream\n"
			}
			if resp.StatusCode != wantStatus || string(body) != wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, wantStatus, wantBody)
			}
		})
	}
}

// A TimeoutHandler buffers the whole response: the binding must refuse it
// before anything is written, so the handler's ordinary error gets out.
func TestNewHTTPConnUnderTimeoutHandler(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := core.NewHTTPConn(w, r); err != nil {
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("error %v does not match errors.ErrUnsupported", err)
			}
			http.Error(w, "streaming unsupported here", http.StatusInternalServerError)
			return
		}
		t.Errorf("NewHTTPConn accepted http.TimeoutHandler's writer")
	})
	srv := httptest.NewServer(http.TimeoutHandler(inner, time.Second, "timeout"))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(body), "unsupported") {
		t.Errorf("got %d %q, want 500 with the handler's reason", resp.StatusCode, body)
	}
}

// An HTTP/1.0 client gets a close-delimited body, delivered incrementally.
func TestHTTP10Client(t *testing.T) {
	gotFirst := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			t.Error(err)
			return
		}
		st, _ := core.New(c, &core.Options{ContentType: "text/plain"})
		defer st.Close()
		st.Write([]byte("one\n"))
		select {
		case <-gotFirst:
		case <-time.After(5 * time.Second):
			t.Error("HTTP/1.0 client did not get message 1 before message 2")
		}
		st.Write([]byte("two\n"))
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Proto != "HTTP/1.0" || len(resp.TransferEncoding) != 0 {
		t.Errorf("proto %s, transfer-encoding %v; want HTTP/1.0 and none", resp.Proto, resp.TransferEncoding)
	}
	body := bufio.NewReader(resp.Body)
	if line, _ := body.ReadString('\n'); line != "one\n" {
		t.Fatalf("first line %q", line)
	}
	close(gotFirst)
	rest, err := io.ReadAll(body)
	if err != nil || string(rest) != "two\n" {
		t.Errorf("rest = %q, %v; want %q then a close", rest, err, "two\n")
	}
}

// WithBase lifts the server's WriteTimeout through the writer as it was
// before a wrapper that hides it.
func TestWithBaseDeadline(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(flushOnly{w}, r)
		if err != nil {
			t.Error(err)
			return
		}
		st, _ := core.New(c.WithBase(w), nil)
		defer st.Close()
		for range 6 {
			if _, err := st.Write([]byte("m\n")); err != nil {
				t.Errorf("write: %v", err)
				return
			}
			time.Sleep(60 * time.Millisecond)
		}
	}))
	srv.Config.WriteTimeout = 150 * time.Millisecond
	srv.Start()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || strings.Count(string(body), "m\n") != 6 {
		t.Errorf("body %q, %v; want 6 messages and a clean end", body, err)
	}
}

func TestHTTP2ClientReset(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	done := make(chan error, 1)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		st, _ := core.New(c, nil)
		st.Write([]byte("one\n"))
		<-st.Context().Done()
		done <- st.Err()
	})
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{}
	srv.StartTLS()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(resp.Body).ReadString('\n')
	cancel()
	resp.Body.Close()
	select {
	case err := <-done:
		if !errors.Is(err, core.ErrClientGone) {
			t.Errorf("Err after RST_STREAM = %v, want ErrClientGone", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not end after the client reset it")
	}
}

// fakeWriter is the innermost writer: it counts flushes and fails them with
// err, as net/http's does once the client is gone.
type fakeWriter struct {
	http.ResponseWriter
	flushes int
	err     error
}

func (f *fakeWriter) FlushError() error { f.flushes++; return f.err }

// compressor has only Flush, as gzip wrappers do; it may or may not Unwrap.
type compressor struct {
	inner   http.ResponseWriter
	flushes int
}

func (c *compressor) Header() http.Header         { return c.inner.Header() }
func (c *compressor) Write(p []byte) (int, error) { return c.inner.Write(p) }
func (c *compressor) WriteHeader(int)             {}
func (c *compressor) Flush() {
	c.flushes++
	c.inner.(http.Flusher).Flush()
}

type unwrappingCompressor struct{ *compressor }

func (u unwrappingCompressor) Unwrap() http.ResponseWriter { return u.inner }

// flushAdapter gives fakeWriter a plain Flush too, for compressor to call.
type flushAdapter struct{ *fakeWriter }

func (f flushAdapter) Flush()                      { f.FlushError() }
func (f flushAdapter) Unwrap() http.ResponseWriter { return f.fakeWriter }

func TestFlushErrorBeneathFlushOnlyLayer(t *testing.T) {
	gone := errors.New("write: broken pipe")
	r := httptest.NewRequest("GET", "/", nil)
	tests := []struct {
		name string
		conn func(inner http.ResponseWriter) (*core.HTTPConn, error)
	}{
		{"through Unwrap", func(inner http.ResponseWriter) (*core.HTTPConn, error) {
			return core.NewHTTPConn(unwrappingCompressor{&compressor{inner: inner}}, r)
		}},
		{"through WithBase", func(inner http.ResponseWriter) (*core.HTTPConn, error) {
			c, err := core.NewHTTPConn(&compressor{inner: inner}, r)
			if err != nil {
				return nil, err
			}
			return c.WithBase(inner), nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fw := &fakeWriter{ResponseWriter: httptest.NewRecorder(), err: gone}
			c, err := tt.conn(flushAdapter{fw})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Flush(); !errors.Is(err, gone) {
				t.Errorf("Flush = %v, want the connection's error %v", err, gone)
			}
			if fw.flushes != 2 {
				t.Errorf("inner flushes = %d, want 2 (the wrapper's, then the error probe)", fw.flushes)
			}
		})
	}
	t.Run("no FlushError anywhere", func(t *testing.T) {
		c, err := core.NewHTTPConn(&compressor{inner: flushOnly{httptest.NewRecorder()}}, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(); err != nil {
			t.Errorf("Flush = %v, want nil: nothing can report", err)
		}
	})
}
