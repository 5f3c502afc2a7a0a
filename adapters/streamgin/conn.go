package streamgin

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

// errHandlerDone is returned by a Conn's methods once [Middleware] has seen
// its handler return: the response belongs to gin again.
var errHandlerDone = errors.New("streamgin: the handler has returned; the response is finished")

// errWritten refuses a Conn on a response that was already sent.
var errWritten = errors.New("streamgin: the response has already been written; a stream needs one of its own")

// NewConn binds the gin request c to a [core.Conn], for [core.New] or an
// encoder's NewStream. The helpers ([SSE], [NDJSON], [Chunked]) call it for
// you; call it yourself to build a stream of your own.
//
// The Conn keeps gin's bookkeeping right: the status goes through
// c.Writer, so Status, Written and Size report the stream, and an error path
// that runs after streaming began (c.JSON, c.String, gin's own error
// handling) cannot send a second status line. It flushes as
// [core.NewHTTPConn] does, through the outermost writer layer that can
// flush (gin's own writer, or gin-contrib/gzip's, which holds the
// compressed bytes), and reads the connection's error from beneath it:
// through Unwrap, or under gzip, which has none, from the writer as
// [Middleware] found it. A dead client is reported by the flush that met
// it. Its context is
// c.Request.Context(), which net/http cancels within a fraction of a
// millisecond of the client leaving, and when the handler returns; c.Done()
// is not used because it is nil unless the engine sets ContextWithFallback.
//
// Write deadlines go to the writer's SetWriteDeadline, found through Unwrap;
// when a wrapper hides it (gin-contrib/gzip has no Unwrap), to the one
// [Middleware] captured before that wrapper was installed. Without either,
// the server's WriteTimeout applies and ends long streams.
//
// When no layer of c.Writer can flush (under http.TimeoutHandler, say),
// NewConn returns an error matching errors.ErrUnsupported and has written
// nothing, so the handler can still answer normally. It also fails when
// the response has already been written (c.Writer.Written()): a stream
// needs a response of its own.
//
// NewConn is called from the handler's goroutine. The Conn is valid until the
// handler returns: under [Middleware], any write after that fails, so a
// stream left open (after a panic, or a missing Close) cannot write into a
// response gin has finished.
func NewConn(c *gin.Context) (core.Conn, error) {
	cn, err := newConn(c)
	if err != nil {
		return nil, err
	}
	return cn, nil
}

// conn is the core.Conn of one gin request. The embedded GatedConn
// supplies the headers, the context and the write deadline, and the gate
// that closes when the handler returns; conn adds gin's status bookkeeping
// and the flush path.
type conn struct {
	adapter.GatedConn
	w     gin.ResponseWriter
	route string
}

// Route implements core.RouteConn: gin's route pattern ("/topics/:topic"),
// which observers use as a bounded label.
func (cn *conn) Route() string { return cn.route }

func newConn(c *gin.Context) (*conn, error) {
	if c.Writer.Written() {
		return nil, errWritten
	}
	st := stateOf(c)
	// gin's own writer claims Flush whatever it wraps (and panics when that
	// cannot flush), and its Flush adds only WriteHeaderNow, which Flush
	// below calls itself: look for the flush beneath it. Writes still go
	// through c.Writer, so that gin counts them.
	var start http.ResponseWriter = c.Writer
	if isGinWriter(start) {
		start = c.Writer.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
	}
	hc, err := st.HTTPConn(start, c.Request, c.Writer)
	if err != nil {
		return nil, fmt.Errorf("streamgin: cannot stream: %w", err)
	}
	cn := &conn{GatedConn: adapter.GatedConn{HTTPConn: hc, Closed: errHandlerDone}, w: c.Writer, route: c.FullPath()}
	st.Add(&cn.Gate)
	return cn, nil
}

// Start implements core.Conn. It records the status in gin's writer; the
// status line goes out with the first Write or Flush. Committing it later
// rather than here lets a wrapper decide by the status: gin-contrib/gzip
// drops its Content-Encoding for an error status (a registry's 503), which
// it can only do before the header is sent.
func (cn *conn) Start(status int) error {
	if err := cn.Enter(); err != nil {
		return err
	}
	defer cn.Leave()
	cn.w.WriteHeader(status)
	return nil
}

// Write implements core.Conn, through c.Writer so that gin counts the bytes.
func (cn *conn) Write(p []byte) (int, error) {
	if err := cn.Enter(); err != nil {
		return 0, err
	}
	defer cn.Leave()
	return cn.w.Write(p)
}

// Flush implements core.Conn: it commits the status through gin's writer
// (WriteHeaderNow), then flushes and reports the connection's error.
func (cn *conn) Flush() error {
	if err := cn.Enter(); err != nil {
		return err
	}
	defer cn.Leave()
	cn.w.WriteHeaderNow()
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
	if _, err := cn.w.Write(p); err != nil {
		return err
	}
	cn.w.WriteHeaderNow()
	return cn.HTTPConn.Flush()
}

// isGinWriter reports whether w is gin's own response writer, the layer
// right around net/http's.
func isGinWriter(w http.ResponseWriter) bool {
	t := reflect.TypeOf(w)
	return t.Kind() == reflect.Pointer && t.Elem().Name() == "responseWriter" &&
		t.Elem().PkgPath() == "github.com/gin-gonic/gin"
}
