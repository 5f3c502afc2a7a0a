package streamhttp_test

import (
	"net/http"
	"testing"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/streamhttp"
)

// TestConformance runs core/streamtest against NewConn under the
// middleware on a ServeMux, over HTTP/1.1 and h2c.
func TestConformance(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			var last *server
			want := "HTTP/1.1"
			if proto == "H2C" {
				want = "HTTP/2.0"
			}
			streamtest.Run(t, streamtest.Harness{
				Proto: want,
				Serve: func(t *testing.T, cfg streamtest.ServerConfig, handle func(core.Conn)) string {
					mux := http.NewServeMux()
					mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
						c, err := streamhttp.NewConn(w, r)
						if err != nil {
							t.Errorf("NewConn: %v", err)
							return
						}
						handle(c)
					})
					last = serveWithTimeout(t, proto, streamhttp.Middleware(nil)(mux), cfg.WriteTimeout)
					return last.URL
				},
				Client: func(*testing.T) *http.Client { return last.Client },
			})
		})
	}
}
