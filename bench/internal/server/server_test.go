package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/common/hlog"
	"go.uber.org/goleak"

	"github.com/streamkit/streamkit/bench/internal/load"
	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/sse"
)

func TestMain(m *testing.M) {
	hlog.SetOutput(io.Discard)
	goleak.VerifyTestMain(m,
		// netpoll's pollers and hertz's Date refresher live as long as
		// the process, by design.
		goleak.IgnoreAnyFunction("github.com/cloudwego/netpoll.(*defaultPoll).Wait"),
		goleak.IgnoreAnyFunction("github.com/cloudwego/hertz/pkg/protocol.UpdateServerDate.func1"),
	)
}

func start(t *testing.T, framework, mode string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(framework, mode, ln)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv.Addr
}

// TestModes checks that every framework and mode sends the benchmark
// events, as a browser parses them, and ends the response.
func TestModes(t *testing.T) {
	const n = 7
	for _, fw := range Frameworks {
		for _, mode := range Modes {
			t.Run(fw+"/"+mode, func(t *testing.T) {
				addr := start(t, fw, mode)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				body, conn, err := load.Open(ctx, addr, n, false)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				r := sse.NewReader(body, nil)
				for i := 1; i <= n; i++ {
					ev, err := r.Next()
					if err != nil {
						t.Fatalf("event %d: %v", i, err)
					}
					if want := strconv.Itoa(i); ev.ID != want || ev.Type != payload.Type || ev.Data != payload.JSON {
						t.Errorf("event %d: got id %q type %q data %q, want %q %q %q", i, ev.ID, ev.Type, ev.Data, want, payload.Type, payload.JSON)
					}
				}
				if ev, err := r.Next(); err != io.EOF {
					t.Errorf("after %d events: got %+v, %v; want the end of the stream", n, ev, err)
				}
			})
		}
	}
}

// TestIdle checks that the handlers the idle benchmark holds open send
// their first event and return when the client leaves.
func TestIdle(t *testing.T) {
	for _, fw := range Frameworks {
		for _, mode := range []string{Own, Streamkit} {
			t.Run(fw+"/"+mode, func(t *testing.T) {
				addr := start(t, fw, mode)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				conns, err := load.Idle(ctx, addr, 3, 2)
				if err != nil {
					t.Fatal(err)
				}
				// The server's Close waits for the handlers, which
				// return once these are closed.
				load.Close(conns)
			})
		}
	}
}

func TestBadRequest(t *testing.T) {
	addr := start(t, "nethttp", Own)
	_, _, err := load.Open(context.Background(), addr, -1, false)
	if err == nil {
		t.Fatal("n=-1 was accepted")
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct{ name, framework, mode string }{
		{"framework", "martini", Own},
		{"mode", "gin", "telepathy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			if _, err := Start(tt.framework, tt.mode, ln); err == nil {
				t.Errorf("Start(%q, %q) succeeded, want an error", tt.framework, tt.mode)
			}
		})
	}
}

// TestBatches checks the Batch mode's pieces: the events in order, cut at
// event boundaries, at most batchSize bytes each, across the wrap of the
// ID ring.
func TestBatches(t *testing.T) {
	ev := newEvents()
	for _, n := range []int{0, 1, 300, idCount, idCount + 5} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			var got []byte
			err := ev.batches(n, func(p []byte) error {
				if len(p) > batchSize {
					t.Errorf("piece of %d bytes, want at most %d", len(p), batchSize)
				}
				if len(p) == 0 || !bytes.HasSuffix(p, []byte("\n\n")) {
					t.Errorf("piece does not end at an event boundary: %q", p[max(0, len(p)-10):])
				}
				got = append(got, p...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			for i := range n {
				want = AppendEvent(want, ev.id(i))
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %d bytes, want %d (the events 0 to %d)", len(got), len(want), n-1)
			}
		})
	}
}
