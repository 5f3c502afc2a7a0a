package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// connCtx is a context that outlives requests, as hertz's does, and counts
// the registrations on it: context.AfterFunc and the contexts derived from
// it register through its AfterFunc method. A registration is live until it
// is stopped or runs.
type connCtx struct {
	context.Context // Background: no deadline, no values
	done            chan struct{}

	mu   sync.Mutex
	next int
	fns  map[int]func()
}

func newConnCtx() *connCtx {
	return &connCtx{Context: context.Background(), done: make(chan struct{}), fns: map[int]func(){}}
}

func (c *connCtx) Done() <-chan struct{} { return c.done }

func (c *connCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// AfterFunc is what the context package looks for in a parent of its own
// kind: it registers f here instead of starting a goroutine.
func (c *connCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.next
	c.next++
	c.fns[id] = f
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.fns[id]
		delete(c.fns, id)
		return ok
	}
}

func (c *connCtx) live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.fns)
}

// endingConn is a core.EndingConn on a connCtx. With endAtOnce, its
// request is already over when a stream is built on it.
type endingConn struct {
	*streamtest.Recorder
	ctx       *connCtx
	endAtOnce bool

	mu   sync.Mutex
	ends []func()
}

func (c *endingConn) Context() context.Context { return c.ctx }

func (c *endingConn) OnEnd(end func()) {
	c.mu.Lock()
	c.ends = append(c.ends, end)
	c.mu.Unlock()
	if c.endAtOnce {
		end()
	}
}

// TestEndingConn checks that a stream on a core.EndingConn ends when the
// Conn says its request is over, as it would when the Conn's context
// ended: its context ends, writes are refused, it leaves the registry, and
// it takes back every registration it made on the Conn's context, which
// lives on. It does so too when the request is already over as the stream
// is built.
func TestEndingConn(t *testing.T) {
	for _, atOnce := range []bool{false, true} {
		name := "later"
		if atOnce {
			name = "at once"
		}
		t.Run(name, func(t *testing.T) {
			c := &endingConn{Recorder: streamtest.NewRecorder(), ctx: newConnCtx(), endAtOnce: atOnce}
			reg := &core.Registry{}
			s := mustNew(t, c, &core.Options{Registry: reg, Heartbeat: -1})
			if len(c.ends) != 1 {
				t.Fatalf("New called OnEnd %d times, want 1", len(c.ends))
			}
			if !atOnce {
				if _, err := s.Write([]byte("a")); err != nil {
					t.Fatal(err)
				}
				if n := c.ctx.live(); n == 0 {
					t.Fatal("the stream registered nothing on the Conn's context")
				}
				c.ends[0]()
			}
			select {
			case <-s.Context().Done():
			default:
				t.Fatal("the stream's context is not done once the request is over")
			}
			if err := s.Err(); !errors.Is(err, core.ErrClientGone) {
				t.Errorf("Err = %v, want one matching ErrClientGone", err)
			}
			if _, err := s.Write([]byte("b")); !errors.Is(err, core.ErrClosed) {
				t.Errorf("Write after the request = %v, want one matching ErrClosed", err)
			}
			if n := reg.Stats().Active; n != 0 {
				t.Errorf("the registry counts %d active streams, want 0", n)
			}
			if n := c.ctx.live(); n != 0 {
				t.Errorf("%d registrations left on the Conn's context, which outlives the request", n)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close after the request = %v", err)
			}
		})
	}
}
