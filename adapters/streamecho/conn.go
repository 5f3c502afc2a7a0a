package streamecho

import (
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

// errHandlerDone is returned by a Conn's methods once [Middleware] has seen
// its handler return: the response belongs to echo again.
var errHandlerDone = errors.New("streamecho: the handler has returned; the response is finished")

// errCommitted refuses a Conn on a response that was already sent.
var errCommitted = errors.New("streamecho: the response is already committed; a stream needs one of its own")

// NewConn binds the echo request c to a [core.Conn], for [core.New] or an
// encoder's NewStream. The helpers ([SSE], [NDJSON], [Chunked]) call it for
// you; call it yourself to build a stream of your own.
//
// The Conn writes through c.Response(), so echo's Status, Size and
// Committed describe the stream and its Before and After hooks run. Start
// commits the response (Response.WriteHeader) before anything is flushed:
// an error the handler returns after streaming began is then dropped by
// echo's error handler instead of answered with a second status line.
// Flushing never calls Response.Flush, which panics on a writer that
// cannot flush and drops errors: it walks c.Response().Writer as
// [core.NewHTTPConn] does, and under echo's Gzip middleware, whose Flush
// drops the error, reads the error from the writer beneath it. The context is
// c.Request().Context(), which net/http cancels within a fraction of a
// millisecond of the client leaving, and when the handler returns.
//
// Write deadlines go to the writer's SetWriteDeadline, found through
// Unwrap (echo's Response and Gzip writers have it); when a wrapper hides
// it, to the one [Middleware] captured before that wrapper was installed.
//
// When no layer can flush (under echo's deprecated Timeout middleware, or
// http.TimeoutHandler), Conn returns an error matching
// errors.ErrUnsupported and has written nothing, so the handler can still
// answer normally. It also fails when the response is already committed:
// a stream needs a response of its own.
//
// Conn is called from the handler's goroutine. The Conn is valid until the
// handler returns: under [Middleware], any write after that fails, so a
// stream left open (after a panic, or a missing Close) cannot write into a
// response echo has finished.
func NewConn(c echo.Context) (core.Conn, error) {
	cn, err := newConn(c)
	if err != nil {
		return nil, err
	}
	return cn, nil
}

// conn is the core.Conn of one echo request. The embedded GatedConn
// supplies the headers, the context and the write deadline, and the gate
// that closes when the handler returns; conn adds echo's commit and the
// flush path.
type conn struct {
	adapter.GatedConn
	res   *echo.Response
	route string

	begun bool // a body write has gone through res; guarded by the gate
}

// Route implements core.RouteConn: echo's route pattern ("/topics/:topic"),
// which observers use as a bounded label.
func (cn *conn) Route() string { return cn.route }

func newConn(c echo.Context) (*conn, error) {
	res := c.Response()
	if res.Committed {
		return nil, errCommitted
	}
	st := stateOf(c)
	// The walk starts beneath echo's Response, whose Flush panics when it
	// cannot flush and drops errors; writes still go through it, so that
	// echo counts them and runs its hooks.
	hc, err := st.HTTPConn(res.Writer, c.Request(), res.Writer)
	if err != nil {
		return nil, fmt.Errorf("streamecho: cannot stream: %w", err)
	}
	cn := &conn{GatedConn: adapter.GatedConn{HTTPConn: hc, Closed: errHandlerDone}, res: res, route: c.Path()}
	st.Add(&cn.Gate)
	return cn, nil
}

// Start implements core.Conn: it commits the response through echo
// (Response.WriteHeader), which runs the Before hooks and sets Committed.
// net/http sends the status line with the first flush.
func (cn *conn) Start(status int) error {
	if err := cn.Enter(); err != nil {
		return err
	}
	defer cn.Leave()
	if !cn.res.Committed {
		cn.res.WriteHeader(status)
	}
	return nil
}

// Write implements core.Conn, through c.Response() so that echo counts the
// bytes.
func (cn *conn) Write(p []byte) (int, error) {
	if err := cn.Enter(); err != nil {
		return 0, err
	}
	defer cn.Leave()
	cn.begun = true
	return cn.res.Write(p)
}

// Flush implements core.Conn and reports the connection's error.
//
// A flush before any body byte (an event stream sends its headers at once)
// first writes nothing through c.Response(): echo's Gzip writer only
// counts the body as begun on a Write, and otherwise, when the stream ends
// without an event, drops its Content-Encoding after sending it and tries
// to send the status a second time.
func (cn *conn) Flush() error {
	if err := cn.Enter(); err != nil {
		return err
	}
	defer cn.Leave()
	if !cn.begun {
		cn.begun = true
		if _, err := cn.res.Write(nil); err != nil {
			return err
		}
	}
	return cn.HTTPConn.Flush()
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
	if _, err := cn.res.Write(p); err != nil {
		return err
	}
	return cn.HTTPConn.Flush()
}
