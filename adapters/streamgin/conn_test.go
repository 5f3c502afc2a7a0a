package streamgin_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapters/streamgin"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// TestConformance runs core's conformance suite against live gin servers:
// HTTP/1.1 and HTTP/2 (h2c; TLS is covered by TestDisconnectDetection),
// with and without the middleware, and through gin-contrib/gzip.
func TestConformance(t *testing.T) {
	t.Parallel()
	setups := []struct {
		setup
		// noDeadline: under gzip the suite's deadline check writes highly
		// compressible chunks that take far too long to fill the socket
		// buffers; deadlines under gzip are covered by ServerWriteTimeout
		// here and by TestGzip.
		noDeadline bool
	}{
		{setup: setup{tr: http1}},
		{setup: setup{tr: h2c}},
		{setup: setup{tr: http1, noMiddleware: true}},
		{setup: setup{tr: http1, gzip: true}, noDeadline: true},
	}
	for _, s := range setups {
		t.Run(s.name(), func(t *testing.T) {
			t.Parallel()
			var last *server
			streamtest.Run(t, streamtest.Harness{
				Proto:           s.tr.proto(),
				NoWriteDeadline: s.noDeadline,
				Serve: func(t *testing.T, cfg streamtest.ServerConfig, handle func(core.Conn)) string {
					su := s.setup
					su.writeTimeout = cfg.WriteTimeout
					last = start(t, su, func(r *gin.Engine) {
						r.Any("/*path", func(c *gin.Context) {
							cn, err := streamgin.NewConn(c)
							if err != nil {
								t.Errorf("Conn: %v", err)
								return
							}
							handle(cn)
						})
					})
					return last.URL
				},
				Client: func(*testing.T) *http.Client { return last.Client },
			})
		})
	}
}
