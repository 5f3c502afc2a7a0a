package streamhertz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	errs "github.com/cloudwego/hertz/pkg/common/errors"
	"github.com/cloudwego/hertz/pkg/network"
	"github.com/cloudwego/hertz/pkg/protocol/consts"
	"github.com/cloudwego/hertz/pkg/protocol/http1/resp"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

// bindingKey is where [NewConn] also records its binding in the
// RequestContext's Keys under [Middleware], so that the middleware finds it
// after the handler chain even when something reset the response and
// dropped the hijack writer through which [boundTo] finds it otherwise.
// Only under the middleware, which creates the Keys map anyway: a map per
// request would cost an idle stream a few hundred bytes.
const bindingKey = "github.com/streamkit/streamkit/adapters/streamhertz.binding"

// finalWriteTimeout bounds the write that ends a stream (the last chunk and
// the flush) when the stream never set a write deadline of its own.
const finalWriteTimeout = core.DefaultWriteTimeout

// noBound is how far ahead a "no deadline" request puts the connection's
// write deadline. A far deadline rather than none: on netpoll it overrides
// the server's per-flush WithWriteTimeout while the stream lasts, and
// clearing it afterwards brings that timeout back for the next request on
// the connection (see binding.SetWriteDeadline).
const noBound = 100 * 365 * 24 * time.Hour

var (
	errReleased  = errors.New("streamhertz: the handler has returned; the response is finished")
	errResetResp = errors.New("streamhertz: the response was reset after the stream was bound (AbortWithMsg or Response.Reset)")
	errBound     = errors.New("streamhertz: a stream is already bound to this response")
)

// mode is how the body reaches the client, chosen by Start.
type mode uint8

const (
	// modeChunked: HTTP/1.1's chunked encoding, which the binding frames
	// itself into the connection's buffer.
	modeChunked mode = iota + 1
	// modeBody: through binding.body, the hijack writer that was on the
	// response before the binding (a compression middleware's, say).
	modeBody
	modeClose    // HTTP/1.0: raw bytes, ended by closing the connection
	modeHeadOnly // HEAD, 1xx, 204, 304: the header and no body
)

// clockBase is the origin of binding.deadline: a monotonic reading, so that
// a deadline kept as a Duration compares as a time.Time would.
var clockBase = time.Now()

// binding is the core.Conn for one hertz request. Its methods other than
// Context run under the core.Stream's lock, but hertz calls the hijack
// writer's Finalize from its own goroutine once the handler chain returns,
// so the state below is guarded by mu all the same.
//
// An idle stream keeps its binding for as long as it lasts, so the fields
// are few and ordered to fit a 112-byte allocation: the hijack writer is the
// binding itself under another type, the response's writer is the
// connection (hertz's GetWriter returns GetConn), the deadline is a
// Duration rather than a time.Time, and what Start reads of the request
// (HEAD, HTTP/1.0) it reads there rather than keeping.
type binding struct {
	rc *app.RequestContext
	// netc is the connection, which is also the response's network.Writer.
	netc network.Conn
	ctx  context.Context // hertz's c: the connection's context
	end  func()          // ends the stream built on the binding; see OnEnd

	mu   sync.Mutex
	body network.ExtWriter // modeBody's writer: a hijack writer found at binding time; nil for none
	// err is the first write or flush error, sticky; once finalized, what
	// finalize returned.
	err      error
	deadline time.Duration // the write deadline in force, since clockBase; 0 for none
	span     time.Duration
	mode     mode // set by Start

	// watched: hertz reads the connection in the background during the
	// response to sense a disconnect (the standard transport with
	// WithSenseClientDisconnection, on a request without a body stream).
	watched bool

	started   bool // Start was called
	sentHead  bool // the header is in the connection's buffer
	released  bool // the handler chain returned
	finalized bool
	touched   bool // SetWriteDeadline was called on the connection
}

// Route implements core.RouteConn: hertz's route pattern
// ("/topics/:topic"), which observers use as a bounded label.
func (b *binding) Route() string { return b.rc.FullPath() }

// NewConn binds a hertz request to a [core.Conn], for [core.New], sse.NewStream,
// ndjson.NewStream or chunked.NewStream. Call it in the handler, with the
// handler's own arguments: c, hertz's context, and ctx, the request.
// Handlers usually call the helpers ([SSE], [NDJSON], [Chunked]) instead.
//
// Nothing is written until the stream starts: the status line and headers go
// out with the first flush, through a writer that NewConn installs on the
// response as hertz's hijack writer. Writes and flushes go straight to the
// connection and return its errors (hertz's own ctx.Write drops them). Until
// the stream starts, the handler may still answer normally (ctx.String and
// friends); once it has started, other writes to the response are refused,
// so that nothing corrupts the stream's framing.
//
// HTTP/1.1 clients get a chunked body, whose chunks the Conn frames
// itself; a Content-Length or Transfer-Encoding the handler set is
// dropped, and trailers set on Response.Header.Trailer() follow the last
// chunk. HTTP/1.0 clients, which cannot read chunked encoding, get the raw
// bytes with Connection: close, the body ending when the connection
// closes. HEAD requests, and the statuses that carry no body (1xx, 204,
// 304), get the header alone; a body write then fails with an error
// matching http.ErrBodyNotAllowed.
//
// NewConn returns an error matching errors.ErrUnsupported, having written
// nothing, when the request cannot be streamed this way: a protocol other
// than HTTP/1.0 and HTTP/1.1 (hertz-contrib/http2, for one), or a
// connection the handler has hijacked. A hijack writer installed earlier
// (by a compression middleware, say) is kept and written through. A second
// Conn for the same request is refused with an ordinary error.
//
// The Conn's context is c, hertz's, which is scoped to the connection, not
// the request, and signals a disconnect only with
// server.WithSenseClientDisconnection(true); without it, a departed client
// shows up as a failed write (heartbeats bound how long that takes). A
// stream built on the Conn ends when c does or when the handler chain
// returns, whichever comes first, and its context with it: the Conn is a
// [core.EndingConn], so that it needs no context of its own per request.
// The binding releases itself when hertz finishes the response after the
// handler chain, and [Middleware] releases it too: there is nothing for
// the caller to close beyond the stream. After that, the Conn refuses
// every write, so a timer that fires late cannot write into the
// connection's next response.
//
// Write deadlines are set on the connection (see the package overview for
// how they behave on netpoll and on the standard transport) and cleared
// when the response is finished, so a keep-alive connection's next request
// is not bound by them.
//
// Call NewConn from the handler's goroutine. The Conn is safe for concurrent
// use, though a core.Stream serializes its calls anyway. The handler must
// not return before it is done with the stream.
func NewConn(c context.Context, ctx *app.RequestContext) (core.Conn, error) {
	b, err := bind(c, ctx)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// streamable reports why ctx cannot be streamed, or nil when it can.
func streamable(ctx *app.RequestContext) error {
	if ctx == nil {
		return fmt.Errorf("streamhertz: nil RequestContext: %w", errors.ErrUnsupported)
	}
	switch p := ctx.Request.Header.GetProtocol(); p {
	case consts.HTTP11, consts.HTTP10:
	default:
		return fmt.Errorf("streamhertz: %q responses cannot be streamed through hertz's HTTP/1 writer: %w", p, errors.ErrUnsupported)
	}
	if ctx.Hijacked() {
		return fmt.Errorf("streamhertz: the connection is hijacked: %w", errors.ErrUnsupported)
	}
	if ctx.GetConn() == nil || ctx.GetWriter() == nil {
		return fmt.Errorf("streamhertz: the request has no connection to write to: %w", errors.ErrUnsupported)
	}
	return nil
}

func bind(c context.Context, ctx *app.RequestContext) (*binding, error) {
	if err := streamable(ctx); err != nil {
		return nil, err
	}
	if boundTo(ctx) != nil {
		return nil, errBound
	}
	netc := ctx.GetConn()
	if w, ok := ctx.GetWriter().(network.Conn); !ok || w != netc {
		// The binding writes through the connection (see binding.netc).
		return nil, fmt.Errorf("streamhertz: the response writer is not the connection: %w", errors.ErrUnsupported)
	}
	if c == nil {
		c = context.Background()
	}
	b := &binding{
		rc:   ctx,
		netc: netc,
		body: ctx.Response.GetHijackWriter(),
	}
	// hertz's context belongs to the connection: it ends with a
	// disconnect (with WithSenseClientDisconnection), not with the
	// request. The binding adds no context level to end it with the
	// handler as well: it is a core.EndingConn, and release ends the
	// stream through OnEnd.
	b.ctx = c
	_, b.watched = netc.(interface{ DetectConnectionClose() })
	b.watched = b.watched && !ctx.Request.IsBodyStream()
	ctx.Response.HijackWriter(b.hijacker())
	if stateOf(ctx) != nil {
		ctx.Set(bindingKey, b)
	}
	return b, nil
}

// hijacker returns b as the hijack writer it installs on the response.
func (b *binding) hijacker() network.ExtWriter { return (*hijack)(b) }

// boundTo returns the binding of ctx, or nil: the response's hijack writer,
// or, when something reset the response, what [Middleware] recorded.
func boundTo(ctx *app.RequestContext) *binding {
	if h, ok := ctx.Response.GetHijackWriter().(*hijack); ok {
		return (*binding)(h)
	}
	v, _ := ctx.Get(bindingKey)
	b, _ := v.(*binding)
	return b
}

// SetHeader implements [core.Conn]: it sets a response header, replacing
// earlier values. It has no effect once the header has been sent.
func (b *binding) SetHeader(key, value string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sentHead || b.released {
		return
	}
	b.rc.Response.Header.Set(key, value)
}

// Start implements [core.Conn]: it records the status and chooses how the
// body is framed. The header goes out with the first Write or Flush.
func (b *binding) Start(status int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.released {
		return errReleased
	}
	if b.started {
		return nil
	}
	if b.rc.Response.GetHijackWriter() != b.hijacker() {
		return errResetResp
	}
	b.started = true
	b.rc.Response.SetStatusCode(status)
	h := &b.rc.Response.Header
	if b.rc.Request.Header.ConnectionClose() {
		// hertz adds this after the handler, too late for a stream.
		h.SetConnectionClose(true)
	}
	http10 := b.rc.Request.Header.GetProtocol() == consts.HTTP10
	switch {
	case b.rc.IsHead() || status < 200 || status == http.StatusNoContent || status == http.StatusNotModified:
		b.mode = modeHeadOnly
		if http10 {
			h.SetConnectionClose(true)
		}
	case b.body != nil:
		// The hijack writer found at binding time.
		b.mode = modeBody
	case http10:
		// No chunked encoding for HTTP/1.0: no length and no
		// Transfer-Encoding, so the body runs until the connection closes.
		b.mode = modeClose
		h.Del(consts.HeaderTransferEncoding)
		h.Del(consts.HeaderContentLength)
		h.SetConnectionClose(true)
	default:
		b.mode = modeChunked
		// The framing is the binding's: a length the handler set, or a
		// Transfer-Encoding, would contradict it. ContentLength reports
		// -1, chunked, as after hertz's own chunked writer; headerLocked
		// writes the Transfer-Encoding line.
		h.Del(consts.HeaderContentLength)
		h.Del(consts.HeaderTransferEncoding)
		h.InitContentLengthWithValue(-1)
	}
	return nil
}

// Write implements [core.Conn]. The bytes are copied into the connection's
// buffer; Flush sends them.
func (b *binding) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usableLocked(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := b.writeLocked(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeLocked is Write's work on a usable binding, under b.mu, for a
// non-empty p.
func (b *binding) writeLocked(p []byte) error {
	var err error
	switch b.mode {
	case modeChunked:
		if err = b.headerLocked(); err == nil {
			err = b.chunkLocked(p)
		}
	case modeBody:
		var n int
		n, err = b.body.Write(p)
		b.sentHead = true
		if err == nil && n < len(p) {
			err = fmt.Errorf("streamhertz: short write: %d of %d bytes", n, len(p))
		}
	case modeClose:
		err = b.headerLocked()
		if err == nil {
			err = b.copyLocked(p)
		}
	case modeHeadOnly:
		if err = b.headerLocked(); err == nil {
			return fmt.Errorf("streamhertz: %w", http.ErrBodyNotAllowed)
		}
	}
	if err != nil {
		return b.failLocked("write", err)
	}
	return nil
}

// Flush implements [core.Conn]: it sends the header, if it is still
// pending, and everything written, and returns the connection's error.
func (b *binding) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usableLocked(); err != nil {
		return err
	}
	return b.flushLocked()
}

var _ core.WriteFlusher = (*binding)(nil)

// WriteFlush implements [core.WriteFlusher]: Write and Flush under one
// lock.
func (b *binding) WriteFlush(p []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usableLocked(); err != nil {
		return err
	}
	if len(p) > 0 {
		if err := b.writeLocked(p); err != nil {
			return err
		}
	}
	return b.flushLocked()
}

// flushLocked is Flush's work on a usable binding, under b.mu.
func (b *binding) flushLocked() error {
	var err error
	switch b.mode {
	case modeBody:
		if !b.sentHead {
			// A zero-length write sends the header and no chunk.
			_, err = b.body.Write(nil)
			b.sentHead = true
		}
		if err == nil {
			err = b.body.Flush()
		}
	default:
		if err = b.headerLocked(); err == nil {
			err = b.netc.Flush()
		}
	}
	if err != nil {
		return b.failLocked("flush", err)
	}
	return nil
}

// SetWriteDeadline implements [core.Conn] through the connection's own
// deadline, which is absolute on both of hertz's transports: net.Conn's on
// the standard one, and on netpoll a deadline that overrides the server's
// per-flush WithWriteTimeout while it is set. The zero time lifts every
// bound, the server's included, for the rest of the response.
func (b *binding) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.released {
		return errReleased
	}
	at := t
	if t.IsZero() {
		at = time.Now().Add(noBound)
	}
	if err := b.netc.SetWriteDeadline(at); err != nil {
		return fmt.Errorf("streamhertz: set write deadline: %w", err)
	}
	b.touched = true
	b.deadline = 0
	if !t.IsZero() {
		b.span = time.Until(t)
		if b.deadline = t.Sub(clockBase); b.deadline == 0 {
			b.deadline = -1 // 0 means none; a nanosecond earlier is as past
		}
	}
	return nil
}

// Context implements [core.Conn]: hertz's context, c; see [NewConn] for
// when it ends.
func (b *binding) Context() context.Context { return b.ctx }

var _ core.EndingConn = (*binding)(nil)

// OnEnd implements [core.EndingConn]: release calls end, once the binding
// is unlocked, when the handler chain returns; at once if it has.
// A second stream built on the binding ends the first: a response carries
// one stream.
func (b *binding) OnEnd(end func()) {
	b.mu.Lock()
	if b.released {
		b.mu.Unlock()
		end()
		return
	}
	prev := b.end
	b.end = end
	b.mu.Unlock()
	endStream(prev)
}

func (b *binding) usableLocked() error {
	switch {
	case b.released:
		return errReleased
	case b.err != nil:
		return b.err
	case !b.started:
		return errors.New("streamhertz: write before Start")
	}
	return nil
}

// headerLocked puts the header into the connection's buffer, once, for the
// modes that write the body themselves.
//
// It serializes the header in a scratch buffer shared by every stream, not
// in the one hertz keeps in the response (ResponseHeader.Header, which
// resp.WriteHeader uses): an idle stream would keep that one, a few
// hundred bytes, for as long as it lasts.
func (b *binding) headerLocked() error {
	if b.sentHead {
		return nil
	}
	b.sentHead = true
	h := &b.rc.Response.Header
	sb := scratchPool.Get().(*scratch)
	defer sb.put()
	sb.b = h.AppendBytes(sb.b[:0])
	if b.mode == modeChunked {
		// Before the blank line that ends the header.
		sb.b = append(sb.b[:len(sb.b)-2], chunkedLine...)
	}
	if err := b.copyLocked(sb.b); err != nil {
		return err
	}
	h.SetHeaderLength(len(sb.b))
	return nil
}

// chunkedLine ends the header of a chunked response.
const chunkedLine = "Transfer-Encoding: chunked\r\n\r\n"

// scratch is a buffer borrowed from scratchPool for the time of one call.
type scratch struct{ b []byte }

var scratchPool = sync.Pool{New: func() any { return &scratch{b: make([]byte, 0, 512)} }}

// put returns sb to the pool, unless a large header or trailer grew it.
func (sb *scratch) put() {
	if cap(sb.b) <= 16<<10 {
		scratchPool.Put(sb)
	}
}

// chunkLocked puts p, a non-empty message, into the connection's buffer as
// one chunk: its length in hex, CRLF, p, CRLF.
func (b *binding) chunkLocked(p []byte) error {
	n := len(p)
	digits := max(1, (bits.Len(uint(n))+3)/4)
	buf, err := b.netc.Malloc(digits + 2 + n + 2)
	if err != nil {
		return err
	}
	for i, v := digits-1, n; i >= 0; i, v = i-1, v>>4 {
		buf[i] = hexDigits[v&0xf]
	}
	buf[digits], buf[digits+1] = '\r', '\n'
	copy(buf[digits+2:], p)
	buf[digits+2+n], buf[digits+3+n] = '\r', '\n'
	return nil
}

const hexDigits = "0123456789abcdef"

// lastChunkLocked ends a chunked body: the header if it is still pending,
// the zero-length chunk, the trailer (empty unless the handler set one),
// and a flush.
func (b *binding) lastChunkLocked() error {
	if err := b.headerLocked(); err != nil {
		return err
	}
	sb := scratchPool.Get().(*scratch)
	defer sb.put()
	sb.b = b.rc.Response.Header.Trailer().AppendBytes(append(sb.b[:0], "0\r\n"...))
	if err := b.copyLocked(sb.b); err != nil {
		return err
	}
	return b.netc.Flush()
}

// copyLocked copies p into the connection's buffer. Copying, rather than
// handing p over (WriteBinary keeps large slices until the flush), leaves
// the caller free to reuse p at once.
func (b *binding) copyLocked(p []byte) error {
	buf, err := b.netc.Malloc(len(p))
	if err != nil {
		return err
	}
	copy(buf, p)
	return nil
}

// failLocked records the first error and marks an expired deadline as one,
// whatever the transport called it: netpoll's write timeout is not
// os.ErrDeadlineExceeded.
func (b *binding) failLocked(op string, err error) error {
	if b.deadline != 0 && time.Since(clockBase) >= b.deadline && !errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("streamhertz: %s: %w (%w)", op, err, os.ErrDeadlineExceeded)
	} else {
		err = fmt.Errorf("streamhertz: %s: %w", op, err)
	}
	b.err = err
	return err
}

// release ends the Conn: every later call fails, and the stream built on
// it ends. It runs when the handler chain returns, from Middleware and from
// Finalize, whichever comes first, and waits for a write in progress.
func (b *binding) release() {
	b.mu.Lock()
	end := b.releaseLocked()
	b.mu.Unlock()
	endStream(end)
}

// releaseLocked marks the binding released and returns the function that
// ends its stream, the first time, for the caller to call through
// endStream once it has unlocked b.mu: the stream may be waiting for b.mu
// with its own lock held, which ending it takes.
func (b *binding) releaseLocked() (end func()) {
	if b.released {
		return nil
	}
	b.released = true
	end, b.end = b.end, nil
	return end
}

// endStream calls end, the function OnEnd was given, if there was one.
func endStream(end func()) {
	if end != nil {
		end()
	}
}

// abandon releases the Conn after a panic. It reports whether the stream had
// already sent its header; if not, the stream is dropped and the response
// is left for an ordinary answer.
func (b *binding) abandon() (streaming bool) {
	b.release()
	return !b.unstart()
}

// unstart drops a stream that has not sent its header yet, so that the
// response can carry an ordinary answer, and reports whether it could.
func (b *binding) unstart() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sentHead {
		return false
	}
	b.started = false
	return true
}

// keep puts the hijack writer back on a response that was reset after the
// stream went out, so that hertz ends the stream instead of writing a
// second response after it.
func (b *binding) keep() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if hw := b.hijacker(); b.sentHead && b.rc.Response.GetHijackWriter() != hw {
		b.rc.Response.HijackWriter(hw)
	}
}

// finalize ends the response; hertz calls it through the hijack writer
// after the handler chain returns, before it reads the connection's next
// request.
func (b *binding) finalize() error {
	b.mu.Lock()
	end := b.releaseLocked()
	if b.finalized {
		err := b.err
		b.mu.Unlock()
		endStream(end)
		return err
	}
	b.finalized = true
	err := b.finalizeLocked()
	gone := err != nil && clientGone(err)
	if gone {
		err = fmt.Errorf("%w (%w)", err, errs.ErrShortConnection)
	}
	// Every later call fails as released, so err may replace the
	// stream's error: a second Finalize returns it.
	b.err = err
	b.mu.Unlock()
	endStream(end)
	if gone && b.watched {
		b.awaitWatcher()
	}
	return err
}

// goneWait bounds how long finalize waits for hertz's disconnect watcher.
const goneWait = 200 * time.Millisecond

// awaitWatcher waits until hertz's background read of the connection has
// seen the client leave, which it signals by cancelling the connection's
// context. hertz stops that read itself only after a response was written
// without error; after an error it releases the connection's buffers while
// the read may still be filling them (a data race in hertz). A client that
// left makes the read fail at once, so the wait is short.
func (b *binding) awaitWatcher() {
	t := time.NewTimer(goneWait)
	defer t.Stop()
	select {
	case <-b.ctx.Done():
	case <-t.C:
	}
}

// clientGone reports whether err says the peer closed or reset the
// connection. finalize then wraps it with hertz's short-connection signal:
// hertz closes the connection on any error finalize returns and logs it at
// error level ("HERTZ: Error=..."), unless it is that signal; netpoll's
// connections silence resets and broken pipes themselves, the standard
// transport's do not. A client leaving mid-stream is ordinary, and the
// stream has already reported how it ended; other errors are still logged.
func clientGone(err error) bool {
	return adapter.Ordinary(err) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF)
}

func (b *binding) finalizeLocked() error {
	if !b.started {
		// The stream never started: the handler answered normally (or not
		// at all), so write that answer as hertz would have.
		b.rc.Response.HijackWriter(nil)
		return b.untouch(resp.Write(&b.rc.Response, b.netc))
	}
	if b.err != nil {
		// The connection failed mid-stream; hertz closes it on this error.
		return b.err
	}
	// The last chunk gets a fresh bound: the stream's deadline may have
	// passed while it sat idle.
	span := b.span
	if span <= 0 {
		span = finalWriteTimeout
	}
	if err := b.netc.SetWriteDeadline(time.Now().Add(span)); err != nil {
		return err
	}
	b.touched = true
	var err error
	switch b.mode {
	case modeChunked:
		err = b.lastChunkLocked()
	case modeBody:
		err = b.body.Finalize()
	default:
		if err = b.headerLocked(); err == nil {
			err = b.netc.Flush()
		}
	}
	return b.untouch(err)
}

// untouch clears the write deadline the stream left on the connection,
// which returns netpoll to the server's own WithWriteTimeout.
func (b *binding) untouch(err error) error {
	if b.touched {
		b.touched = false
		if derr := b.netc.SetWriteDeadline(time.Time{}); err == nil {
			err = derr
		}
	}
	return err
}

// hijack is the network.ExtWriter installed on the response: the binding
// itself under another type, so that installing it allocates nothing.
// hertz writes through it (ctx.Write, Response.AppendBody,
// Response.SetBody) and calls Finalize after the handler chain. The stream
// itself writes through the binding, never through here.
type hijack binding

// Write takes hertz's body writes: into the ordinary body until the stream
// starts, refused afterwards.
func (h *hijack) Write(p []byte) (int, error) {
	b := (*binding)(h)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return 0, errors.New("streamhertz: the response is streamed; write through the stream")
	}
	return b.rc.Response.BodyBuffer().Write(p)
}

// SetBody is what Response.SetBody calls on a hijack writer that has it.
func (h *hijack) SetBody(p []byte) {
	b := (*binding)(h)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return
	}
	b.rc.Response.BodyBuffer().Set(p) //nolint:errcheck // a bytes buffer
}

// Flush is ctx.Flush: a flush of the stream, if it has started.
func (h *hijack) Flush() error {
	b := (*binding)(h)
	b.mu.Lock()
	started := b.started && !b.released
	b.mu.Unlock()
	if !started {
		return nil
	}
	return b.Flush()
}

// Finalize implements network.ExtWriter; hertz calls it once the handler
// chain has returned.
func (h *hijack) Finalize() error { return (*binding)(h).finalize() }
