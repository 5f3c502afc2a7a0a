package core

import (
	"context"
	"time"
)

// Conn is the contract between a [Stream] and the framework that carries its
// bytes. Adapters (net/http through [NewHTTPConn], and the gin, echo and hertz
// modules) implement it; handler code rarely calls it directly.
//
// A Stream calls Conn's methods only while it holds its own lock, so an
// implementation needs no locking of its own for those calls: SetHeader,
// Start, Write, Flush and SetWriteDeadline are never called concurrently with
// one another. Context may be called from any goroutine at any time.
//
// The expected order is SetHeader (any number of times), Start once, then
// Write and Flush in any order. SetWriteDeadline may come at any point after
// the Conn is created.
type Conn interface {
	// SetHeader sets a response header, replacing any earlier value. It has
	// no effect after Start.
	SetHeader(key, value string)

	// Start commits the status line and the headers. It may buffer them
	// until the first Flush. It is called once, before the first Write.
	Start(status int) error

	// Write appends body bytes. Like io.Writer, it returns a non-nil error
	// when it writes fewer than len(p) bytes. Bytes may be held in the
	// framework's buffers until Flush.
	Write(p []byte) (int, error)

	// Flush sends everything written so far to the client and reports any
	// error on the way, such as a closed or reset connection or an expired
	// write deadline. It never drops an error it was told about.
	Flush() error

	// SetWriteDeadline bounds how long the following writes and flushes may
	// block; the zero time removes the bound, including one a server-wide
	// write timeout set. An implementation that cannot do this returns an
	// error matching errors.ErrUnsupported, and the Stream then writes
	// without a deadline.
	SetWriteDeadline(t time.Time) error

	// Context returns a context that is done when the client disconnects or
	// the handler that owns the Conn returns, whichever comes first; an
	// [EndingConn]'s may go on after its handler returns, which it reports
	// through OnEnd instead. How quickly a disconnect is noticed depends on
	// the framework: see the adapter's documentation.
	Context() context.Context
}

// WriteFlusher is a [Conn] that writes and flushes in one call. When a
// Stream's Conn implements it, each flush of buffered bytes is one
// WriteFlush instead of a Write and a Flush, so that an adapter that guards
// every call into its framework (with a lock, or with a gate that closes
// when the handler returns) takes its guard once per flush instead of
// twice. The gin, echo and hertz adapters implement it.
//
// WriteFlush(p), for a non-empty p, must do exactly what Write(p) and then,
// if Write succeeded, Flush do, and return the first error. A Conn that
// embeds another and changes its Write or Flush must define WriteFlush as
// well, or the embedded one's would bypass the change; [HTTPConn] does not
// implement it, so embedding it is safe.
type WriteFlusher interface {
	Conn
	WriteFlush(p []byte) error
}

// EndingConn is a [Conn] whose Context can outlive its request: a
// framework whose request context belongs to the connection (hertz's does,
// and lasts as long as a kept-alive connection) implements it so that it
// need not derive a context per request just to end it with the handler,
// which costs each stream a context level and its memory.
//
// [New] calls OnEnd once, as its last step, with a function that ends the
// stream as a done Context would: the stream's own context ends with an
// error matching [ErrClientGone], its timers stop and it leaves the
// registry. The Conn calls that function once, when the handler that owns
// it has returned, or at once, from OnEnd, if it already has. It may call
// it from any goroutine, but not while holding a lock its own methods take:
// the function may wait for a write in progress.
type EndingConn interface {
	Conn
	OnEnd(end func())
}
