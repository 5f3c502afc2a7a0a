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
	w        http.ResponseWriter
	req      *http.Request
	ctx      context.Context
	flush    func() error
	deadline func(time.Time) error
	hider    http.ResponseWriter // the wrapper that hides the deadline, when deadline is nil
	started  bool
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
	c := &HTTPConn{w: w, req: r, ctx: r.Context()}
	c.flush = findFlush(w, nil)
	if c.flush == nil {
		return nil, fmt.Errorf("core: response writer %T cannot flush: %w", w, errors.ErrUnsupported)
	}
	c.deadline, c.hider = findDeadline(w)
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
	if f := findFlush(c.w, base); f != nil {
		cc.flush = f
	}
	if cc.deadline == nil {
		if d, _ := findDeadline(base); d != nil {
			cc.deadline, cc.hider = d, nil
		}
	}
	return &cc
}

type flushErrorer interface{ FlushError() error }

type deadliner interface{ SetWriteDeadline(time.Time) error }

type unwrapper interface{ Unwrap() http.ResponseWriter }

// findFlush returns how to flush w (see NewHTTPConn), or nil.
func findFlush(w, base http.ResponseWriter) func() error {
	for w != nil {
		switch t := w.(type) {
		case flushErrorer:
			return t.FlushError
		case http.Flusher:
			below := base
			if u, ok := w.(unwrapper); ok {
				below = u.Unwrap()
			}
			if probe := findFlushError(below); probe != nil {
				return func() error { t.Flush(); return probe() }
			}
			return func() error { t.Flush(); return nil }
		case unwrapper:
			w = t.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

// findFlushError returns the first FlushError of w's Unwrap chain, or nil.
func findFlushError(w http.ResponseWriter) func() error {
	for w != nil {
		if f, ok := w.(flushErrorer); ok {
			return f.FlushError
		}
		u, ok := w.(unwrapper)
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// findDeadline returns the first SetWriteDeadline of w's Unwrap chain, or
// nil and the writer that ended the walk: the wrapper hiding the deadline.
func findDeadline(w http.ResponseWriter) (func(time.Time) error, http.ResponseWriter) {
	for w != nil {
		switch t := w.(type) {
		case deadliner:
			return t.SetWriteDeadline, nil
		case unwrapper:
			w = t.Unwrap()
		default:
			return nil, w
		}
	}
	return nil, nil
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
func (c *HTTPConn) Flush() error { return c.flush() }

// SetWriteDeadline implements [Conn].
func (c *HTTPConn) SetWriteDeadline(t time.Time) error {
	if c.deadline == nil {
		return fmt.Errorf("core: response writer %T hides the connection's write deadline (it has no Unwrap method): %w", c.hider, errors.ErrUnsupported)
	}
	return c.deadline(t)
}

// Route implements [RouteConn]: the pattern of the net/http ServeMux
// route that matched the request (http.Request.Pattern), "" under another
// router.
func (c *HTTPConn) Route() string { return c.req.Pattern }

// Context implements [Conn]: it is the request's context, which net/http
// cancels when the client disconnects, when an HTTP/2 stream is reset, or
// when the handler returns.
func (c *HTTPConn) Context() context.Context { return c.ctx }
