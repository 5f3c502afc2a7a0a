package streamhttp_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// protocols are the transports every live test runs on.
var protocols = []string{"HTTP/1.1", "H2C"}

// server is a live net/http server for a test.
type server struct {
	URL    string
	Client *http.Client
	errLog *syncBuffer
}

// serve starts h on a real loopback server speaking proto ("HTTP/1.1" or
// "H2C", HTTP/2 without TLS), closed when the test ends.
func serve(t *testing.T, proto string, h http.Handler) *server {
	t.Helper()
	return serveWithTimeout(t, proto, h, 0)
}

// serveWithTimeout is serve with the server's WriteTimeout.
func serveWithTimeout(t *testing.T, proto string, h http.Handler, writeTimeout time.Duration) *server {
	t.Helper()
	errLog := &syncBuffer{}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(errLog, "", 0)
	srv.Config.WriteTimeout = writeTimeout
	client := &http.Client{}
	if proto == "H2C" {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		srv.Config.Protocols = &p
		client.Transport = &http.Transport{Protocols: &p}
	} else {
		client.Transport = &http.Transport{}
	}
	srv.Start()
	t.Cleanup(func() {
		client.CloseIdleConnections()
		srv.Close()
	})
	return &server{URL: srv.URL, Client: client, errLog: errLog}
}

// get fetches path with header pairs; the body is closed when the test
// ends.
func (s *server) get(t *testing.T, path string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
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

// body reads the rest of resp's body, tolerating an abrupt end.
func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// syncBuffer is a strings.Builder safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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
