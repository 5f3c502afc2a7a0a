package streamechov5_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// TestConformance runs core's conformance suite against live echo servers:
// HTTP/1.1 and HTTP/2 (h2c; TLS is covered by TestDisconnectDetection),
// with and without the middleware, and through echo's Gzip.
func TestConformance(t *testing.T) {
	t.Parallel()
	setups := []struct {
		setup
		// noDeadline: under gzip the suite's deadline check writes highly
		// compressible chunks that take far too long to fill the socket
		// buffers; deadlines under gzip are covered by ServerWriteTimeout
		// here and by TestGzipSlowClient.
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
					last = start(t, su, func(e *echo.Echo) {
						e.Any("/*", func(c *echo.Context) error {
							cn, err := streamechov5.NewConn(c)
							if err != nil {
								t.Errorf("Conn: %v", err)
								return err
							}
							handle(cn)
							return nil
						})
					})
					return last.URL
				},
				Client: func(*testing.T) *http.Client { return last.Client },
			})
		})
	}
}
