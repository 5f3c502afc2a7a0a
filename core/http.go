package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// HTTPConn is the [Conn] for net/http, and for frameworks built on it such as
// gin and echo. Create it with [NewHTTPConn].
type HTTPConn struct {
	w   http.ResponseWriter
	req *http.Request
	// How to flush (see findFlush): fl.Flush when the layer to flush
	// through only has Flush, then fe.FlushError for the error, when
	// there is one. Interfaces rather than method values, which would
	// cost two allocations per stream.
	fl http.Flusher
	fe flushErrorer
	// dl is the deadliner that sets write deadlines or, when the chain
	// hides them, the http.ResponseWriter that hides them.
	dl      any
	started bool
}

// NewHTTPConn binds a response writer and its request to a [Conn].
//
// It finds how to flush by walking the writer's Unwrap() chain, as
// http.ResponseController does, but once, here, and with one refinement.
// The outermost layer that can flush is the one to flush through, since a
// compressing wrapper holds bytes there; at that layer FlushError, which
// reports errors, is preferred to Flush, which drops them. When the layer
// only has Flush, the error is then read from the first FlushError beneath
// it (through its Unwrap, or in the writer given to
// [HTTPConn.WithBase]): the buffers are empty by then, so that costs no
// write, and net/http's writers keep the error they met. A dead client is
// thus reported by the flush that found it, wrappers or not.
//
// When no layer can flush, NewHTTPConn returns an error matching
// errors.ErrUnsupported and nothing has been written, so the handler can
// still send an ordinary error response. This is the case under
// http.TimeoutHandler, whose writer buffers everything.
//
// Write deadlines are found the same way; a chain that hides them (a wrapper
// without Unwrap) gives a Conn whose SetWriteDeadline returns
// errors.ErrUnsupported, unless [HTTPConn.WithBase] supplies them.
//
// Proxies may still buffer what a flush sends: [New] sets
// X-Accel-Buffering: no for nginx, and other proxies need their own
// configuration.
func NewHTTPConn(w http.ResponseWriter, r *http.Request) (*HTTPConn, error) {
	c := &HTTPConn{w: w, req: r}
	var ok bool
	if c.fl, c.fe, ok = findFlush(w, nil); !ok {
		return nil, fmt.Errorf("core: response writer %T cannot flush: %w", w, errors.ErrUnsupported)
	}
	c.dl = findDeadline(w)
	return c, nil
}

// WithBase returns a Conn that writes and flushes through c's writer but
// falls back on base, the same response's writer as it was before
// middleware wrapped it, for what the wrappers hide: the write deadline,
// and the error of a flush through a layer that only has Flush.
// gin-contrib/gzip, for one, wraps the writer without Unwrap; an adapter's
// middleware keeps the writer it saw, ahead of such wrappers, and hands it
// here, so that the server's WriteTimeout can still be lifted and a dead
// client still reported.
func (c *HTTPConn) WithBase(base http.ResponseWriter) *HTTPConn {
	cc := *c
	if fl, fe, ok := findFlush(c.w, base); ok {
		cc.fl, cc.fe = fl, fe
	}
	if _, ok := cc.dl.(deadliner); !ok {
		if d, ok := findDeadline(base).(deadliner); ok {
			cc.dl = d
		}
	}
	return &cc
}

type flushErrorer interface{ FlushError() error }

type deadliner interface{ SetWriteDeadline(time.Time) error }

type unwrapper interface{ Unwrap() http.ResponseWriter }

// findFlush returns how to flush w (see NewHTTPConn): the layer's Flush
// and the FlushError to read the error from, either of which may be nil,
// and false when no layer can flush.
func findFlush(w, base http.ResponseWriter) (http.Flusher, flushErrorer, bool) {
	for w != nil {
		switch t := w.(type) {
		case flushErrorer:
			return nil, t, true
		case http.Flusher:
			below := base
			if u, ok := w.(unwrapper); ok {
				below = u.Unwrap()
			}
			return t, findFlushError(below), true
		case unwrapper:
			w = t.Unwrap()
		default:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// findFlushError returns the first FlushError of w's Unwrap chain, or nil.
func findFlushError(w http.ResponseWriter) flushErrorer {
	for w != nil {
		if f, ok := w.(flushErrorer); ok {
			return f
		}
		u, ok := w.(unwrapper)
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// findDeadline returns the first deadliner of w's Unwrap chain or, when a
// wrapper without Unwrap ends the walk first, that wrapper; nil for a nil
// w.
func findDeadline(w http.ResponseWriter) any {
	for w != nil {
		switch t := w.(type) {
		case deadliner:
			return t
		case unwrapper:
			w = t.Unwrap()
		default:
			return w
		}
	}
	return nil
}

// SetHeader implements [Conn].
func (c *HTTPConn) SetHeader(key, value string) { c.w.Header().Set(key, value) }

// Start implements [Conn].
func (c *HTTPConn) Start(status int) error {
	if c.started {
		return nil
	}
	c.started = true
	c.w.WriteHeader(status)
	return nil
}

// Write implements [Conn].
func (c *HTTPConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// Flush implements [Conn]. Errors from the connection (a reset peer, an
// expired deadline) are returned.
func (c *HTTPConn) Flush() error {
	if c.fl != nil {
		c.fl.Flush()
		if c.fe == nil {
			return nil
		}
	}
	return c.fe.FlushError()
}

// SetWriteDeadline implements [Conn].
func (c *HTTPConn) SetWriteDeadline(t time.Time) error {
	d, ok := c.dl.(deadliner)
	if !ok {
		return fmt.Errorf("core: response writer %T hides the connection's write deadline (it has no Unwrap method): %w", c.dl, errors.ErrUnsupported)
	}
	return d.SetWriteDeadline(t)
}

// Route implements [RouteConn]: the pattern of the net/http ServeMux
// route that matched the request (http.Request.Pattern), "" under another
// router.
func (c *HTTPConn) Route() string { return c.req.Pattern }

// Context implements [Conn]: it is the request's context, which net/http
// cancels when the client disconnects, when an HTTP/2 stream is reset, or
// when the handler returns.
func (c *HTTPConn) Context() context.Context { return c.req.Context() }
