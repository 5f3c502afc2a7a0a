package streamechov5_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/sse"
)

// transport is how a test server is reached.
type transport int

const (
	http1 transport = iota
	h2c             // HTTP/2 without TLS, prior knowledge
	h2tls           // HTTP/2 over TLS, negotiated by ALPN
)

func (tr transport) String() string {
	return [...]string{"HTTP1", "H2C", "HTTP2TLS"}[tr]
}

func (tr transport) proto() string {
	if tr == http1 {
		return "HTTP/1.1"
	}
	return "HTTP/2.0"
}

// setup describes a live echo server for a test.
type setup struct {
	tr           transport
	gzip         bool                  // echo's Gzip, outside the middleware as the docs advise
	noMiddleware bool                  // no streamechov5.Middleware at all
	outer        []echo.MiddlewareFunc // middleware before streamechov5's
	cfg          *streamechov5.Config
	wrap         func(http.Handler) http.Handler // around the echo engine
	writeTimeout time.Duration                   // the server's WriteTimeout
}

func (s setup) name() string {
	n := s.tr.String()
	if s.gzip {
		n += "Gzip"
	}
	if s.noMiddleware {
		n += "NoMiddleware"
	}
	return n
}

// server is a running test server.
type server struct {
	URL     string
	Client  *http.Client
	errLog  *syncBuffer // the http.Server's ErrorLog
	echoLog *syncBuffer // echo's Logger, at level WARN
}

// start serves the routes (after the middleware set up by s) on a loopback
// port, and closes the server and the client's idle connections at the end
// of the test.
func start(t *testing.T, s setup, routes func(e *echo.Echo)) *server {
	t.Helper()
	e := echo.New()
	echoLog := &syncBuffer{}
	e.Logger = slog.New(slog.NewTextHandler(echoLog, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.Use(s.outer...)
	if s.gzip {
		e.Use(middleware.Gzip())
	}
	if !s.noMiddleware {
		cfg := s.cfg
		if cfg == nil {
			cfg = &streamechov5.Config{Logger: slog.New(slog.DiscardHandler)}
		}
		e.Use(streamechov5.Middleware(cfg))
	}
	routes(e)
	errLog := &syncBuffer{}
	var h http.Handler = e
	if s.wrap != nil {
		h = s.wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.WriteTimeout = s.writeTimeout
	srv.Config.ErrorLog = log.New(errLog, "", 0)
	out := &server{errLog: errLog, echoLog: echoLog}
	switch s.tr {
	case http1:
		srv.Start()
		out.Client = &http.Client{Transport: &http.Transport{}}
	case h2c:
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		srv.Config.Protocols = &p
		srv.Start()
		out.Client = &http.Client{Transport: &http.Transport{Protocols: &p}}
	case h2tls:
		srv.EnableHTTP2 = true
		srv.StartTLS()
		out.Client = srv.Client()
		out.Client.Transport.(*http.Transport).TLSClientConfig.MinVersion = tls.VersionTLS12
	}
	out.URL = srv.URL
	t.Cleanup(func() {
		out.Client.CloseIdleConnections()
		srv.Close()
	})
	return out
}

// get sends a GET for path with the given header pairs and closes the
// response body at the end of the test.
func (s *server) get(t *testing.T, path string, header ...string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// events reads every event of body, and the error that ended it (nil for a
// clean end).
func events(body io.Reader) ([]sse.ParsedEvent, error) {
	return rest(sse.NewReader(body, nil))
}

// rest reads the remaining events of r, and the error that ended it.
func rest(r *sse.Reader) ([]sse.ParsedEvent, error) {
	var out []sse.ParsedEvent
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// datas returns the data of evs.
func datas(evs []sse.ParsedEvent) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.Data)
	}
	return out
}
