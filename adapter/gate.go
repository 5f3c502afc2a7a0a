package adapter

import (
	"sync"
	"time"

	"github.com/streamkit/streamkit/core"
)

// Gate serializes a Conn's calls with the end of its handler, and refuses
// them afterwards, so that a stream left open (after a panic, or a missing
// Close) cannot write into a response its framework has finished. The zero
// value is an open gate. A Gate is safe for concurrent use and must not be
// copied after first use.
type Gate struct {
	mu     sync.Mutex
	closed bool
}

// Enter waits for the call in progress, if any, and then reports whether
// the gate is open. When it is, the caller holds the gate and must call
// [Gate.Leave]; when it is closed, the caller holds nothing.
func (g *Gate) Enter() bool {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false
	}
	return true
}

// Leave ends the call that [Gate.Enter] let through.
func (g *Gate) Leave() { g.mu.Unlock() }

// Close closes the gate for good: every later Enter returns false. It waits
// for the call in progress, which a write deadline bounds. The middleware
// calls it, through [State.End], when the handler chain returns; closing
// twice is harmless.
func (g *Gate) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// GatedConn is a core.HTTPConn behind a [Gate]: the part of the Conns of
// the adapters built on net/http (gin, echo) that depends on no framework.
// SetHeader and Context are the HTTPConn's; SetWriteDeadline goes through
// the gate. The adapter's Conn embeds a GatedConn and adds Start, Write and
// Flush, which go through its framework's writer, each between
// [GatedConn.Enter] and [GatedConn.Leave]; it registers the Gate with
// [State.Add]. A GatedConn is used from the goroutines of one request's
// stream (core.Stream serializes its calls) and from the middleware's
// [State.End]; it must not be copied.
type GatedConn struct {
	*core.HTTPConn

	// Gate closes when the handler chain returns.
	Gate Gate

	// Closed is what a gated call returns once the gate is closed: the
	// adapter's "the handler has returned" error.
	Closed error
}

// Enter enters the gate: nil means the caller holds it and must call
// [GatedConn.Leave]; after the gate closed, it returns c.Closed.
func (c *GatedConn) Enter() error {
	if !c.Gate.Enter() {
		return c.Closed
	}
	return nil
}

// Leave ends a call that [GatedConn.Enter] let through.
func (c *GatedConn) Leave() { c.Gate.Leave() }

// SetWriteDeadline implements core.Conn through the gate.
func (c *GatedConn) SetWriteDeadline(t time.Time) error {
	if err := c.Enter(); err != nil {
		return err
	}
	defer c.Leave()
	return c.HTTPConn.SetWriteDeadline(t)
}
