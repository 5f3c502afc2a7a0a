package server

import (
	"bytes"
	"context"
	"errors"
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

// TestGuardedLoopKeepsItsGuarantees checks that the guarded mode's loop
// does what it claims to, so that what it costs is the cost of those
// guarantees: it sends the same bytes as the loop, renews a write
// deadline every guardedRenewal events, stops at the first write or
// flush error, and sends nothing once its context has ended.
func TestGuardedLoopKeepsItsGuarantees(t *testing.T) {
	ids := payload.IDs(idCount)
	const n = guardedRenewal + 10

	var out, want bytes.Buffer
	var deadlines []time.Time
	flushes := 0
	before := time.Now()
	err := GuardedLoop(context.Background(), ids, n, out.Write,
		func() error { flushes++; return nil },
		func(d time.Time) error { deadlines = append(deadlines, d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		want.Write(AppendEvent(nil, ids[i%len(ids)]))
	}
	if !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Errorf("GuardedLoop wrote %d bytes unlike the loop's %d", out.Len(), want.Len())
	}
	if flushes != n {
		t.Errorf("%d flushes for %d events", flushes, n)
	}
	if len(deadlines) != 2 {
		t.Fatalf("%d deadlines set for %d events, want 2", len(deadlines), n)
	}
	for _, d := range deadlines {
		if d.Before(before.Add(guardedTimeout)) || d.After(time.Now().Add(guardedTimeout)) {
			t.Errorf("deadline %v, want %v after the call", d, guardedTimeout)
		}
	}

	errFlush := errors.New("flush failed")
	writes := 0
	err = GuardedLoop(context.Background(), ids, n, func(p []byte) (int, error) { writes++; return len(p), nil },
		func() error {
			if writes == 3 {
				return errFlush
			}
			return nil
		},
		func(time.Time) error { return nil })
	if !errors.Is(err, errFlush) || writes != 3 {
		t.Errorf("flush failing at the third event: %d writes, error %v", writes, err)
	}

	errDeadline := errors.New("no deadlines")
	writes = 0
	err = GuardedLoop(context.Background(), ids, n, func(p []byte) (int, error) { writes++; return len(p), nil },
		func() error { return nil }, func(time.Time) error { return errDeadline })
	if !errors.Is(err, errDeadline) || writes != 0 {
		t.Errorf("deadline refused: %d writes, error %v", writes, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	writes = 0
	err = GuardedLoop(ctx, ids, n, func(p []byte) (int, error) {
		if writes++; writes == 5 {
			cancel() // the client leaves
		}
		return len(p), nil
	}, func() error { return nil }, func(time.Time) error { return nil })
	if !errors.Is(err, context.Canceled) || writes != 5 {
		t.Errorf("client leaving at the fifth event: %d writes, error %v", writes, err)
	}
}
