// Package livetest starts the real servers the root module's tests stream
// through: net/http over HTTP/1.1, and HTTP/2 over TLS.
package livetest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Protocol is one way of serving a test: Name for t.Run, H2 for Serve.
type Protocol struct {
	Name string
	H2   bool
}

// Protocols are the setups every streaming test runs on.
var Protocols = []Protocol{{"HTTP/1.1", false}, {"HTTP/2", true}}

// Serve starts a real server running h, over HTTP/1.1 or, with h2, HTTP/2
// over TLS, and returns a client for it. Both are closed when the test ends.
func Serve(t testing.TB, h2 bool, h http.HandlerFunc) (*httptest.Server, *http.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	client := srv.Client()
	t.Cleanup(func() {
		client.CloseIdleConnections()
		srv.Close()
	})
	return srv, client
}
