package streamhertz

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/config"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/cloudwego/hertz/pkg/network/standard"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// hertz logs every connection error (a client that left, a write that
	// timed out) at Error level; the tests provoke plenty of them.
	hlog.SetOutput(io.Discard)
	goleak.VerifyTestMain(m, leakOptions()...)
}

// leakOptions lists the goroutines hertz and netpoll start once per process
// and never stop, by design.
func leakOptions() []goleak.Option {
	return []goleak.Option{
		// netpoll's pollers: started by netpoll's package init (one per
		// core) and parked in epoll_wait for the life of the process.
		goleak.IgnoreAnyFunction("github.com/cloudwego/netpoll.(*defaultPoll).Wait"),
		// hertz refreshes its cached Date header once a second from a
		// goroutine that the first response starts and that never stops
		// (protocol.UpdateServerDate).
		goleak.IgnoreAnyFunction("github.com/cloudwego/hertz/pkg/protocol.UpdateServerDate.func1"),
	}
}

// transport is one of the four ways a hertz server can run.
type transport struct {
	name     string
	standard bool // the standard library transport, else netpoll
	sense    bool // server.WithSenseClientDisconnection(true)
}

var transports = []transport{
	{name: "netpoll", standard: false, sense: false},
	{name: "netpoll+sense", standard: false, sense: true},
	{name: "standard", standard: true, sense: false},
	{name: "standard+sense", standard: true, sense: true},
}

// serverOpts are the options of a test server on tr.
func (tr transport) serverOpts() []config.Option {
	opts := []config.Option{
		server.WithSenseClientDisconnection(tr.sense),
		server.WithDisablePrintRoute(true),
		server.WithExitWaitTime(2 * time.Second),
	}
	if tr.standard {
		opts = append(opts, server.WithTransport(standard.NewTransporter))
	}
	return opts
}

// startServer runs h on a free loopback port and returns its base URL. The
// server is shut down, and its Run awaited, when the test ends.
func startServer(t testing.TB, h *server.Hertz) string {
	t.Helper()
	go func() {
		// Run returns when the server is shut down.
		h.Run() //nolint:errcheck
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !h.IsRunning() {
		if time.Now().After(deadline) {
			t.Fatal("the hertz server did not start within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return "http://" + h.GetOptions().Addr
}

// newServer returns a hertz server on tr listening on a free loopback port.
func newServer(t testing.TB, tr transport, extra ...config.Option) *server.Hertz {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(tr.serverOpts(), server.WithListener(ln))
	return server.New(append(opts, extra...)...)
}

// newClient returns an HTTP/1.1 client whose idle connections are closed
// when the test ends.
func newClient(t testing.TB) *http.Client {
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}
