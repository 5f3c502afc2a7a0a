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
	ctx      context.Context
	flush    func() error
	deadline func(time.Time) error
	started  bool
}

// NewHTTPConn binds a response writer and its request to a [Conn].
//
// It finds how to flush by walking the writer's Unwrap() chain, as
// http.ResponseController does, but once, here: at each layer it prefers
// FlushError, which reports errors, over Flush, which drops them. A layer
// that only has Flush still flushes, and its errors surface on the next
// Write instead. When no layer can flush, NewHTTPConn returns an error
// matching errors.ErrUnsupported and nothing has been written, so the handler
// can still send an ordinary error response. This is the case under
// http.TimeoutHandler, whose writer buffers everything.
//
// Write deadlines are found the same way; a chain that hides them (a wrapper
// without Unwrap) gives a Conn whose SetWriteDeadline returns
// errors.ErrUnsupported.
//
// Proxies may still buffer what a flush sends: [New] sets
// X-Accel-Buffering: no for nginx, and other proxies need their own
// configuration.
func NewHTTPConn(w http.ResponseWriter, r *http.Request) (*HTTPConn, error) {
	c := &HTTPConn{w: w, ctx: r.Context()}
	c.flush = findFlush(w)
	if c.flush == nil {
		return nil, fmt.Errorf("core: response writer %T cannot flush: %w", w, errors.ErrUnsupported)
	}
	c.deadline = findDeadline(w)
	return c, nil
}

type flushErrorer interface{ FlushError() error }

type deadliner interface{ SetWriteDeadline(time.Time) error }

type unwrapper interface{ Unwrap() http.ResponseWriter }

func findFlush(w http.ResponseWriter) func() error {
	for w != nil {
		switch t := w.(type) {
		case flushErrorer:
			return t.FlushError
		case http.Flusher:
			return func() error { t.Flush(); return nil }
		case unwrapper:
			w = t.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

func findDeadline(w http.ResponseWriter) func(time.Time) error {
	for w != nil {
		switch t := w.(type) {
		case deadliner:
			return t.SetWriteDeadline
		case unwrapper:
			w = t.Unwrap()
		default:
			return nil
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
func (c *HTTPConn) Flush() error { return c.flush() }

// SetWriteDeadline implements [Conn].
func (c *HTTPConn) SetWriteDeadline(t time.Time) error {
	if c.deadline == nil {
		return fmt.Errorf("core: response writer %T hides its write deadline: %w", c.w, errors.ErrUnsupported)
	}
	return c.deadline(t)
}

// Context implements [Conn]: it is the request's context, which net/http
// cancels when the client disconnects, when an HTTP/2 stream is reset, or
// when the handler returns.
func (c *HTTPConn) Context() context.Context { return c.ctx }

// WithDeadlineControl returns a Conn that writes through c but sets write
// deadlines through rc instead. Middleware that installs a wrapper without
// Unwrap (gin-contrib/gzip, for one) hides the deadline from [NewHTTPConn];
// capture http.NewResponseController(w) before that wrapper is installed and
// hand it here, so the server's WriteTimeout can still be lifted.
func (c *HTTPConn) WithDeadlineControl(rc *http.ResponseController) *HTTPConn {
	cc := *c
	cc.deadline = rc.SetWriteDeadline
	return &cc
}
