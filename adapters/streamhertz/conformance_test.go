package streamhertz

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/config"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// harness runs the conformance suite's servers on tr.
//
// ServerConfig.WriteTimeout becomes server.WithWriteTimeout. netpoll applies
// it as a timeout per blocked flush; the standard transport ignores it (its
// NewTransporter never copies the option), so there the harness stands in
// for it with what net/http's WriteTimeout is, an absolute write deadline
// set on each connection as it is accepted. Either way the check proves that
// a stream is not cut by the server's own bound.
func harness(tr transport) streamtest.Harness {
	return streamtest.Harness{
		NoDisconnectSignal: !tr.sense,
		Serve: func(t *testing.T, cfg streamtest.ServerConfig, handle func(core.Conn)) string {
			var extra []config.Option
			if d := cfg.WriteTimeout; d > 0 {
				extra = append(extra, server.WithWriteTimeout(d))
				if tr.standard {
					extra = append(extra, server.WithOnAccept(func(c net.Conn) context.Context {
						c.SetWriteDeadline(time.Now().Add(d)) //nolint:errcheck // a test server
						return context.Background()
					}))
				}
			}
			h := newServer(t, tr, extra...)
			h.Any("/*path", func(c context.Context, ctx *app.RequestContext) {
				conn, err := NewConn(c, ctx)
				if err != nil {
					t.Errorf("Conn: %v", err)
					return
				}
				handle(conn)
			})
			return startServer(t, h)
		},
	}
}

func TestConformance(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			streamtest.Run(t, harness(tr))
		})
	}
}

// TestServerWriteTimeoutStandIn checks that the suite's ServerWriteTimeout
// check means something on the standard transport: the deadline the
// harness sets at accept cuts a response that does not lift it, as
// net/http's WriteTimeout would.
func TestServerWriteTimeoutStandIn(t *testing.T) {
	result := make(chan error, 1)
	url := harness(transports[2]).Serve(t, streamtest.ServerConfig{WriteTimeout: 50 * time.Millisecond}, func(c core.Conn) {
		err := c.Start(http.StatusOK)
		for end := time.Now().Add(2 * time.Second); err == nil && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if _, err = c.Write([]byte("x\n")); err == nil {
				err = c.Flush()
			}
		}
		result <- err
	})
	resp, err := newClient(t).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // cut short, as it should be
	resp.Body.Close()
	if err := <-result; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("writing past the stand-in WriteTimeout: %v, want a deadline error", err)
	}
}
