package streamechov5

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

// errHandlerDone is returned by a Conn's methods once [Middleware] has seen
// its handler return: the response belongs to echo again.
var errHandlerDone = errors.New("streamechov5: the handler has returned; the response is finished")

// errCommitted refuses a Conn on a response that was already sent.
var errCommitted = errors.New("streamechov5: the response is already committed; a stream needs one of its own")

// NewConn binds the echo request c to a [core.Conn], for [core.New] or an
// encoder's NewStream. The helpers ([SSE], [NDJSON], [Chunked]) call it for
// you; call it yourself to build a stream of your own.
//
// The Conn writes through c.Response() as it is when NewConn is called:
// echo's *echo.Response, or a middleware's writer wrapped around it (Gzip),
// so that compression applies, echo's Status, Size and Committed describe
// the stream, and its Before and After hooks run. Start commits the
// response before anything is flushed: an error the handler returns after
// streaming began is then left alone by echo's error handler instead of
// answered with a second status line. Flushing never relies on
// echo.Response.Flush, which panics on a writer that cannot flush and
// drops errors: the error of every flush is read from the writer beneath
// echo's Response, as [core.NewHTTPConn] does, after the wrappers above it
// were flushed. The context is c.Request().Context(), which net/http
// cancels within a fraction of a millisecond of the client leaving, and
// when the handler returns.
//
// Write deadlines go to the SetWriteDeadline found beneath echo's Response
// through Unwrap; when a wrapper hides echo's Response, to the one
// [Middleware] captured before that wrapper was installed.
//
// When nothing beneath echo's Response can flush (echo runs behind
// http.TimeoutHandler, say), NewConn returns an error matching
// errors.ErrUnsupported and has written nothing, so the handler can still
// answer normally. It also fails when the response is already committed:
// a stream needs a response of its own.
//
// NewConn is called from the handler's goroutine. The Conn is valid until
// the handler returns: under [Middleware], any write after that fails, so a
// stream left open (after a panic, or a missing Close) cannot write into a
// response echo has finished.
func NewConn(c *echo.Context) (core.Conn, error) {
	cn, err := newConn(c)
	if err != nil {
		return nil, err
	}
	return cn, nil
}

// conn is the core.Conn of one echo request. The embedded GatedConn,
// bound beneath echo's Response, supplies the headers, the context, the
// write deadline and the flush error, and the gate that closes when the
// handler returns; conn adds echo's commit, the writes through c.Response()
// and the flush of the wrappers above echo's Response.
type conn struct {
	adapter.GatedConn
	route string
	w     http.ResponseWriter // c.Response() when bound
	res   *echo.Response      // echo's Response beneath w; nil when w hides it
	// outer flushes the wrappers between w and echo's Response (Gzip's
	// compressor); nil when w is echo's Response itself.
	outer *http.ResponseController

	begun bool // a body write has gone through w; guarded by the gate
}

// Route implements core.RouteConn: echo's route pattern ("/topics/:topic"),
// which observers use as a bounded label.
func (cn *conn) Route() string { return cn.route }

func newConn(c *echo.Context) (*conn, error) {
	w := c.Response()
	res, _ := echo.UnwrapResponse(w)
	if res != nil && res.Committed {
		return nil, errCommitted
	}
	// The flush path is found beneath echo's Response, whose Flush panics
	// when it cannot flush and drops errors. Binding there also checks,
	// before anything is written, that the wrappers above can flush
	// through it without that panic.
	below := w
	if res != nil {
		below = res.ResponseWriter
	}
	st := stateOf(c)
	hc, err := st.HTTPConn(below, c.Request(), w)
	if err != nil {
		return nil, fmt.Errorf("streamechov5: cannot stream: %w", err)
	}
	cn := &conn{GatedConn: adapter.GatedConn{HTTPConn: hc, Closed: errHandlerDone}, w: w, res: res, route: c.Path()}
	if res != nil && w != http.ResponseWriter(res) {
		cn.outer = http.NewResponseController(w)
	}
	st.Add(&cn.Gate)
	return cn, nil
}

// committed reports whether echo's Response has sent its status line.
func (cn *conn) committed() bool { return cn.res != nil && cn.res.Committed }

// Start implements core.Conn: it commits the response through
// c.Response() (echo's Response.WriteHeader runs the Before hooks and sets
// Committed; Gzip holds the status until its first flush). net/http sends
// the status line with the first flush.
func (cn *conn) Start(status int) error {
	if err := cn.Enter(); err != nil {
		return err
	}
	defer cn.Leave()
	if !cn.committed() {
		cn.w.WriteHeader(status)
	}
	return nil
}

// Write implements core.Conn, through c.Response() so that echo counts the
// bytes and compression middleware sees them.
func (cn *conn) Write(p []byte) (int, error) {
	if err := cn.Enter(); err != nil {
		return 0, err
	}
	defer cn.Leave()
	cn.begun = true
	return cn.w.Write(p)
}

// Flush implements core.Conn and reports the connection's error.
//
// A flush before any body byte (an event stream sends its headers at once)
// first writes nothing through c.Response(): echo's Gzip writer only
// counts the body as begun on a Write, and otherwise, when the stream ends
// without an event, tries to send the status a second time and ends the
// response without its gzip trailer.
func (cn *conn) Flush() error {
	if err := cn.Enter(); err != nil {
		return err
	}
	defer cn.Leave()
	if !cn.begun {
		cn.begun = true
		if _, err := cn.w.Write(nil); err != nil {
			return err
		}
	}
	return cn.flushLocked()
}

var _ core.WriteFlusher = (*conn)(nil)

// WriteFlush implements core.WriteFlusher: Write and Flush in one pass
// through the gate.
func (cn *conn) WriteFlush(p []byte) error {
	if err := cn.Enter(); err != nil {
		return err
	}
	defer cn.Leave()
	cn.begun = true
	if _, err := cn.w.Write(p); err != nil {
		return err
	}
	return cn.flushLocked()
}

// flushLocked flushes the compression middleware's writer, if any, then
// the connection; the gate is held.
func (cn *conn) flushLocked() error {
	if cn.outer != nil {
		if err := cn.outer.Flush(); err != nil {
			return err
		}
	}
	return cn.HTTPConn.Flush()
}
