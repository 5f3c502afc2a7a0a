package core

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// retainLimit is the largest buffer that goes back to the pool after a
// flush; a larger one, grown for a big message, is dropped.
const retainLimit = 64 << 10

// sendBuf holds the bytes a stream has encoded and not yet written. A
// stream takes one from bufPool for a message when it holds none, and
// gives it back once a flush has written it, unless messages are coming in
// a burst: a flush of messages less than burstGap after a flush of
// messages keeps the buffer for the next, so that a busy stream spends
// nothing on the pool, and the heartbeat of a stream gone idle gives it
// back. An idle stream thus holds no buffer, whatever size its last
// message was, and no stream allocates per message. The pointer wrapper
// lets Put store it without allocating.
type sendBuf struct{ b []byte }

// burstGap is the longest pause between two flushes of messages that keeps
// a stream's buffer: the coarse clock's tick, the finest gap it can tell.
const burstGap = int64(clockTick)

var bufPool = sync.Pool{New: func() any { return &sendBuf{b: make([]byte, 0, 512)} }}

// Work a timer asks of whoever holds the stream's lock.
const (
	pendingFlush uint32 = 1 << iota
	pendingFinish
)

// Stream writes messages to one client through a [Conn]: buffering, the
// flush policy, heartbeats, write deadlines, a maximum lifetime and the
// registry's bookkeeping. Encoders (sse, ndjson, chunked) build on it.
//
// A Stream is safe for concurrent use: messages written from several
// goroutines, and heartbeats, never interleave their bytes. It parks no
// goroutine of its own: its timers are runtime timers, its heartbeats are
// due in one queue the process's streams share, and neither ever waits for
// a stream that is busy writing, so one stuck client cannot delay another's
// heartbeat. An idle stream holds no write buffer: it takes one from a
// shared pool for a message and gives it back once the message is flushed.
//
// The handler that created a Stream must call [Stream.Close] before it
// returns (defer it right after [New]): Close sends what is still buffered
// and waits for a heartbeat or a timed flush that is writing at that moment,
// which must not touch the response once the handler has returned.
type Stream struct {
	// What every message reads or writes comes first, in the first 128
	// bytes, so that a write touches two cache lines of the Stream.
	mu        sync.Mutex
	closed    atomic.Bool
	pending   atomic.Uint32
	ctx       context.Context
	conn      Conn
	out       *sendBuf // what is encoded and not yet written; nil when nothing is
	policy    FlushPolicy
	due       int64 // when a flush must first call prepareLocked, by the coarse clock; 0 before the first flush
	lastWrite int64 // when the last flush began, by the coarse clock
	reg       *Registry
	obs       *observed // nil unless the registry has an Observer
	started   bool
	armed     bool // flushTimer is running
	burst     bool // the last flush carried messages: see sendBuf
	sending   bool // flushLocked is in the Conn: a panic now is the Conn's
	wflush    bool // the Conn is a WriteFlusher
	status    int32
	unsent    int32 // messages buffered since the last flush; a flush comes before it overflows

	timeout  time.Duration // the per-write bound; negative for none, or when the Conn cannot set deadlines
	deadline int64         // the write deadline in force, Unix nanoseconds; 0 for none
	hbDue    int64         // when the next heartbeat is due, Unix nanoseconds; guarded by beats.mu
	hb       time.Duration
	hbMsg    func([]byte) []byte
	farewell func([]byte, error) []byte
	cancel   context.CancelCauseFunc
	stopDone func() bool
	cleanup  sync.Once
	hbIndex  int32 // the stream's place in the heartbeat queue; -1 when not queued; guarded by beats.mu
	cause    atomic.Pointer[error]
	finish   atomic.Pointer[error]
	// cut is when a server WriteTimeout that the stream cannot lift ends
	// it, Unix nanoseconds; 0 for none, and negative once the stream has
	// ended at or past it. Atomic: a flush sets it, and the end, which may
	// come from the context callback, reads it.
	cut atomic.Int64

	flushTimer *time.Timer
	lifeTimer  *time.Timer
}

// New creates a Stream on c. It sets the Content-Type from opts and the
// headers that keep proxies from buffering (Cache-Control: no-cache,
// X-Accel-Buffering: no); the status line and headers go out with the first
// flush. Nothing is written before then, so the caller can still set
// headers on c.
//
// When opts.Registry refuses the stream (its limit is reached, or it is
// shutting down), New answers the client with 503 Service Unavailable and a
// Retry-After header, and returns an error matching [ErrTooManyStreams] or
// [ErrShutdown].
func New(c Conn, opts *Options) (*Stream, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &Stream{
		conn:     c,
		reg:      o.Registry,
		status:   int32(o.Status),
		hbIndex:  -1,
		policy:   o.Flush.normalized(),
		timeout:  o.WriteTimeout,
		farewell: o.Farewell,
	}
	if s.status == 0 {
		s.status = http.StatusOK
	}
	_, s.wflush = c.(WriteFlusher)
	if s.timeout == 0 {
		s.timeout = DefaultWriteTimeout
	}
	if s.reg != nil {
		if err := s.reg.admit(); err != nil {
			s.reg.reject(c, err)
			return nil, err
		}
	}
	if o.ContentType != "" {
		c.SetHeader("Content-Type", o.ContentType)
	}
	c.SetHeader("Cache-Control", "no-cache")
	c.SetHeader("X-Accel-Buffering", "no")

	coarse.acquire()
	s.lastWrite = coarse.now()
	if s.timeout < 0 {
		// No per-write bound, but the server's absolute WriteTimeout must
		// not end the stream either.
		if err := c.SetWriteDeadline(time.Time{}); err != nil {
			s.deadlineHiddenLocked(err)
		}
	}
	if o.Preamble != nil {
		s.setBuf(o.Preamble(s.buf()))
	}
	var lifetime time.Duration
	if o.MaxLifetime > 0 {
		lifetime = o.MaxLifetime
		if o.LifetimeJitter > 0 {
			lifetime -= rand.N(o.LifetimeJitter)
		}
		s.lifeTimer = idleTimer(func() { s.end(ErrLifetime) })
	}
	if o.Heartbeat > 0 && o.HeartbeatMessage != nil {
		s.hb, s.hbMsg = o.Heartbeat, o.HeartbeatMessage
	}
	if s.policy.coalescing() {
		s.flushTimer = idleTimer(s.flushFired)
	}

	if s.reg != nil && s.reg.Observer != nil {
		s.obs = observe(s.reg.Observer, c, o.Kind)
	}

	// Everything the context callback reads is set above: registering it
	// happens before it runs. Everything after may be read by timers and
	// the registry, which only see the stream from here on.
	s.ctx, s.cancel = context.WithCancelCause(c.Context())
	// On the Conn's context, not s.ctx: when the stream ends itself it
	// releases inline, and one registration in the parent costs less
	// memory than a second context level.
	s.stopDone = context.AfterFunc(c.Context(), s.release)
	if s.lifeTimer != nil {
		s.lifeTimer.Reset(max(lifetime, 0))
	}
	if s.hb > 0 {
		beats.schedule(s, time.Now().UnixNano()+int64(s.hb))
	}
	if s.reg != nil && !s.reg.enter(s) {
		// Shutdown began while the stream was being built.
		s.end(ErrShutdown)
	}
	if ec, ok := c.(EndingConn); ok {
		// Last, so that an end called at once finds the stream built.
		ec.OnEnd(s.requestOver)
	}
	return s, nil
}

// requestOver ends the stream when its [EndingConn] says that the handler
// has returned, as the end of the Conn's context would.
func (s *Stream) requestOver() {
	// The Conn's context lives on: take the stream's registration out.
	s.stopDone()
	s.cancel(context.Canceled)
	s.release()
}

// idleTimer returns a stopped timer that runs f once reset. Timers are
// stored before they are armed: a Reset happens before the callback it
// schedules, so the callback sees the stream fully built.
func idleTimer(f func()) *time.Timer {
	t := time.AfterFunc(time.Hour, f)
	t.Stop()
	return t
}

// Write sends p as one message, under the flush policy. It does not retain
// p. An empty p is no message: Write does nothing and returns 0, nil.
// Write implements io.Writer, so fmt.Fprintf and json.Encoder can write a
// message, although one call is then one message.
func (s *Stream) Write(p []byte) (n int, err error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.unlockAfter(&err)
	if s.ended() {
		return 0, s.closedErr()
	}
	s.unsent++
	if s.flushNowLocked(len(p)) {
		// Nothing to wait for: write p straight through, without copying
		// it into the buffer.
		if err := s.flushLocked(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	s.setBuf(append(s.buf(), p...))
	s.scheduleLocked()
	return len(p), nil
}

// Append adds one message that fn encodes by appending to dst, the
// stream's own buffer, so that encoding costs no allocation or copy. If fn
// returns an error, nothing of the message is kept and Append returns that
// error; the stream stays open. fn runs with the stream's lock held and
// must not call the stream.
func (s *Stream) Append(fn func(dst []byte) ([]byte, error)) (err error) {
	s.mu.Lock()
	defer s.unlockAfter(&err)
	if s.ended() {
		return s.closedErr()
	}
	if err := s.encodeLocked(fn); err != nil {
		return err
	}
	if s.flushNowLocked(0) {
		return s.flushLocked(nil)
	}
	s.scheduleLocked()
	return nil
}

// encodeLocked appends one message with fn, or, when fn fails, keeps
// nothing of it.
func (s *Stream) encodeLocked(fn func(dst []byte) ([]byte, error)) error {
	dst := s.buf()
	n := len(dst)
	b, err := fn(dst)
	if err != nil {
		if len(b) >= n {
			s.setBuf(b[:n])
		}
		if n == 0 {
			s.releaseBuf()
		}
		return err
	}
	s.setBuf(b)
	s.unsent++
	return nil
}

// flushNowLocked reports whether a message is flushed at once, with extra
// more bytes to come beside the buffer: always when the policy does not
// coalesce, and when the buffer reaches MaxBytes or the message count its
// limit.
func (s *Stream) flushNowLocked(extra int) bool {
	return !s.policy.coalescing() || s.buffered()+extra >= s.policy.MaxBytes || s.unsent == math.MaxInt32
}

// buf returns the buffer to append to, taking one from the pool when the
// stream holds none.
func (s *Stream) buf() []byte {
	if s.out == nil {
		s.out = bufPool.Get().(*sendBuf)
	}
	return s.out.b
}

// setBuf stores b, which buf's buffer was appended to, as the buffer.
func (s *Stream) setBuf(b []byte) {
	if cap(b) == cap(s.out.b) && unsafe.SliceData(b) == unsafe.SliceData(s.out.b) {
		// Appended in place, as an encoder usually does: setting only
		// the length spares the write barrier of storing the pointer.
		s.out.b = s.out.b[:len(b)]
		return
	}
	s.out.b = b
}

// buffered returns how many bytes are waiting to be written.
func (s *Stream) buffered() int {
	if s.out == nil {
		return 0
	}
	return len(s.out.b)
}

// releaseBuf gives the buffer back to the pool, once what it held is
// written: the Conn has flushed it, so nothing refers to its bytes.
func (s *Stream) releaseBuf() {
	if s.out == nil {
		return
	}
	if cap(s.out.b) <= retainLimit {
		s.out.b = s.out.b[:0]
		bufPool.Put(s.out)
	}
	s.out = nil
}

// Flush sends everything buffered now, whatever the flush policy. On a
// stream that has not sent anything yet, it sends the status line and
// headers.
func (s *Stream) Flush() (err error) {
	s.mu.Lock()
	defer s.unlockAfter(&err)
	if s.ended() {
		return s.closedErr()
	}
	return s.flushLocked(nil)
}

// Close flushes what is buffered and ends the stream; the handler may then
// return. It returns the error of that final flush, if any. Close is
// idempotent: later calls, and calls on a stream that has already ended,
// return nil.
func (s *Stream) Close() error { return s.CloseCause(ErrClosed) }

// CloseCause is [Stream.Close] with the cause the stream ends with, which
// [Stream.Err] then reports and an [Observer] sees; nil means [ErrClosed].
// A hub that cuts off a subscriber for falling behind ends its stream with
// an error wrapping [ErrSlowClient]. Like Close, it flushes what is
// buffered first, returns that flush's error, and does nothing on a stream
// that has already ended.
func (s *Stream) CloseCause(cause error) (err error) {
	if cause == nil {
		cause = ErrClosed
	}
	s.mu.Lock()
	if s.ended() {
		// Release outside the lock: an observer waits for the lock to
		// learn how a stream whose client left ended.
		s.unlock()
		s.release()
		return nil
	}
	defer s.unlockAfter(&err)
	err = s.flushLocked(nil)
	s.closeLocked(cause)
	return err
}

// CloseWith appends a last message with fn, flushes, and ends the stream,
// atomically: nothing another goroutine writes can come after that message,
// and no heartbeat either. An NDJSON stream ends with its end record this
// way. If fn returns an error, nothing of the message is kept; the stream
// is closed all the same and CloseWith returns fn's error. Like Close, it
// returns nil on a stream that has already ended, without calling fn. fn
// runs with the stream's lock held and must not call the stream.
func (s *Stream) CloseWith(fn func(dst []byte) ([]byte, error)) (err error) {
	s.mu.Lock()
	if s.ended() {
		// Release outside the lock: an observer waits for the lock to
		// learn how a stream whose client left ended.
		s.unlock()
		s.release()
		return nil
	}
	defer s.unlockAfter(&err)
	err = s.encodeLocked(fn)
	if ferr := s.flushLocked(nil); err == nil {
		err = ferr
	}
	s.closeLocked(ErrClosed)
	return err
}

// Context returns a context that is cancelled when the stream ends: closed,
// failed, cut off by a deadline, shut down, past its lifetime, or because
// the client disconnected or the handler returned. Its cause is the same
// error as [Stream.Err]. Pass it to the producer so that it stops when the
// client goes away; select on Context().Done() to wait for the end.
func (s *Stream) Context() context.Context { return s.ctx }

// Err returns nil while the stream is open, and then why it ended: it
// matches [ErrClosed], [ErrClientGone], [ErrWriteTimeout], [ErrShutdown],
// [ErrLifetime], or wraps the write error that ended it.
func (s *Stream) Err() error {
	if s.ctx.Err() == nil {
		return nil
	}
	if c := s.cause.Load(); c != nil {
		return *c
	}
	if s.cut.Load() < 0 {
		return fmt.Errorf("%w: %w", ErrServerTimeout, context.Cause(s.ctx))
	}
	return fmt.Errorf("%w: %w", ErrClientGone, context.Cause(s.ctx))
}

// Started reports whether the status line and headers have been sent.
func (s *Stream) Started() bool {
	s.mu.Lock()
	defer s.unlock()
	return s.started
}

// ended reports whether the stream is over, including the moment between
// its context ending and the context callback releasing it.
func (s *Stream) ended() bool { return s.closed.Load() || s.ctx.Err() != nil }

func (s *Stream) closedErr() error {
	if err := s.Err(); err != nil && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return ErrClosed
}

// scheduleLocked starts the coalescing timer for a newly buffered message.
func (s *Stream) scheduleLocked() {
	if !s.armed {
		s.armed = true
		s.flushTimer.Reset(s.policy.MaxDelay)
	}
}

// flushLocked writes the buffer and then extra, and flushes the Conn.
func (s *Stream) flushLocked(extra []byte) error {
	// A Conn that panics fails the stream instead of the server:
	// net/http's HTTP/2 writer panics when it is used after its handler
	// returned, which a handler that returns without Close can bring
	// about. s.sending marks the time spent in the Conn, and the function
	// that took the lock recovers such a panic when it unlocks (see
	// unlockAfter and flushRecovering): a deferred recover here would cost
	// every flush, and one in the function that already defers its unlock
	// costs nothing more.
	s.sending = true
	now := coarse.now()
	if now >= s.due {
		if err := s.prepareLocked(now); err != nil {
			return s.sendFailedLocked(err)
		}
	}
	n := int64(s.buffered() + len(extra))
	last := extra // written by the call that flushes too, if the Conn can
	if s.out != nil && len(s.out.b) > 0 {
		if len(extra) == 0 {
			last = s.out.b
		} else if _, err := s.conn.Write(s.out.b); err != nil {
			return s.sendFailedLocked(err)
		}
	}
	var err error
	switch {
	case len(last) == 0:
		err = s.conn.Flush()
	case s.wflush:
		err = s.conn.(WriteFlusher).WriteFlush(last)
	default:
		if _, err = s.conn.Write(last); err == nil {
			err = s.conn.Flush()
		}
	}
	if err != nil {
		return s.sendFailedLocked(err)
	}
	s.sending = false
	msgs := s.unsent > 0
	if s.out != nil {
		if msgs && s.burst && now-s.lastWrite <= burstGap && cap(s.out.b) <= retainLimit {
			s.out.b = s.out.b[:0]
		} else {
			s.releaseBuf()
		}
	}
	s.burst = msgs
	if s.armed {
		s.armed = false
		s.flushTimer.Stop()
	}
	s.lastWrite = now
	if s.reg != nil {
		s.reg.sent(int64(s.unsent), n)
	}
	if s.obs != nil {
		s.obs.sent(int64(s.unsent), n)
	}
	s.unsent = 0
	return nil
}

// sendFailedLocked fails the stream after a call of flushLocked into the
// Conn failed with err. The Conn may still refer to the bytes it was given
// (netpoll's writer does until a flush): the buffer is dropped, not pooled.
func (s *Stream) sendFailedLocked(err error) error {
	s.sending = false
	s.out = nil
	return s.failLocked(err)
}

// unlockAfter is the deferred unlock of the methods that flush: a panic
// out of the Conn (see flushLocked) fails the stream and becomes the
// method's error, unless it already had one; any other panic, an
// encoder's say, goes on, without the lock held.
func (s *Stream) unlockAfter(err *error) {
	if s.sending {
		if perr := s.connPanicked(recover()); *err == nil {
			*err = perr
		}
	}
	s.unlock()
}

// flushRecovering is flushLocked for the work of timers, which runs
// outside the methods that defer unlockAfter: a panic out of the Conn
// fails the stream there too.
func (s *Stream) flushRecovering() (err error) {
	defer func() {
		if s.sending {
			err = s.connPanicked(recover())
		}
	}()
	return s.flushLocked(nil)
}

// connPanicked fails the stream after the Conn panicked with r in
// flushLocked and returns the error to report.
func (s *Stream) connPanicked(r any) error {
	return s.sendFailedLocked(fmt.Errorf("core: connection panicked: %v", r))
}

// prepareLocked does what a flush needs now and then, when s.due has come:
// before the first flush, send the status line and headers; and renew the
// write deadline.
func (s *Stream) prepareLocked(now int64) error {
	if err := s.renewDeadlineLocked(now); err != nil {
		return err
	}
	if !s.started {
		s.started = true
		return s.conn.Start(int(s.status))
	}
	return nil
}

// renewDeadlineLocked moves the write deadline to now+timeout and sets
// s.due to when 1/8 of the timeout has passed, so that flushes in between
// skip the call; with no deadline to renew, s.due is never.
func (s *Stream) renewDeadlineLocked(now int64) error {
	s.due = math.MaxInt64
	if s.timeout < 0 {
		return nil
	}
	d := now + int64(s.timeout)
	if err := s.conn.SetWriteDeadline(time.Unix(0, d)); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			s.deadlineHiddenLocked(err)
			return nil
		}
		return err
	}
	s.deadline = d
	s.due = now + int64(s.timeout/8)
	return nil
}

// failLocked ends the stream after a failed write and returns the error to
// report, classifying an expired deadline as [ErrWriteTimeout].
func (s *Stream) failLocked(err error) error {
	at := time.Now().UnixNano()
	timedOut := errors.Is(err, os.ErrDeadlineExceeded) ||
		(s.deadline != 0 && at >= s.deadline)
	var out error
	switch {
	case s.serverTimedOut():
		out = fmt.Errorf("%w: %w", ErrServerTimeout, err)
	case timedOut:
		out = fmt.Errorf("%w: %w", ErrWriteTimeout, err)
		if s.reg != nil {
			s.reg.slow.Add(1)
		}
	case s.conn.Context().Err() != nil:
		// The client was already gone: an ordinary end, not an error.
		out = fmt.Errorf("%w: %w", ErrClientGone, err)
	default:
		out = fmt.Errorf("core: write: %w", err)
		if s.reg != nil {
			s.reg.errs.Add(1)
		}
	}
	s.closeLocked(out)
	return out
}

// closeLocked marks the stream ended with cause and releases its resources.
func (s *Stream) closeLocked(cause error) {
	s.cause.CompareAndSwap(nil, &cause)
	s.closed.Store(true)
	s.stopDone() // release runs here, not from a new goroutine
	s.cancel(cause)
	s.release()
}

// release stops the timers and leaves the registry, once. It runs inline
// when the stream closes itself and from a context callback when the client
// disconnects or the handler returns; the callback may run while New is
// still building the stream, so release reads only what New set before
// registering it.
func (s *Stream) release() {
	s.cleanup.Do(func() {
		if s.serverTimedOut() {
			s.cut.Store(-1)
		}
		s.closed.Store(true)
		for _, t := range []*time.Timer{s.flushTimer, s.lifeTimer} {
			if t != nil {
				t.Stop()
			}
		}
		if s.hb > 0 {
			beats.remove(s)
		}
		if s.reg != nil {
			s.reg.leave(s)
		}
		coarse.release()
	})
	if s.obs != nil {
		s.observeEnd()
	}
}

// unlock runs work that timers left for the lock holder, then unlocks. A
// timer that finds the lock taken never waits: it leaves a pending bit and
// returns, and the holder picks the work up here. It is the only place that
// releases s.mu (TestOneUnlockPath holds every method to that), so no exit,
// an error path included, can leave a timer's work undone.
func (s *Stream) unlock() {
	for {
		// A load first: the swap is a locked instruction, and there is
		// rarely work left.
		if s.pending.Load() != 0 {
			if p := s.pending.Swap(0); p != 0 && !s.ended() {
				switch {
				case p&pendingFinish != 0:
					s.finishLocked(*s.finish.Load())
				case p&pendingFlush != 0 && s.armed:
					s.flushRecovering() //nolint:errcheck // the stream records it
				}
			}
		}
		s.mu.Unlock()
		if s.pending.Load() == 0 || !s.mu.TryLock() {
			return
		}
	}
}

func (s *Stream) flushFired() {
	s.pending.Or(pendingFlush)
	if s.mu.TryLock() {
		s.unlock()
	}
}

func (s *Stream) heartbeatFired() {
	if s.closed.Load() {
		return
	}
	if !s.mu.TryLock() {
		// Someone is writing right now, so the stream is not idle.
		beats.schedule(s, time.Now().UnixNano()+int64(s.hb))
		return
	}
	if !s.ended() {
		if idle := time.Duration(time.Now().UnixNano() - s.lastWrite); idle >= s.hb {
			s.setBuf(s.hbMsg(s.buf()))
			s.flushRecovering() //nolint:errcheck // the stream records it
		}
		if !s.ended() {
			beats.schedule(s, s.lastWrite+int64(s.hb))
		}
	}
	s.unlock()
}

// end finishes the stream with its farewell, from a timer or the registry.
func (s *Stream) end(cause error) {
	s.finish.CompareAndSwap(nil, &cause)
	s.pending.Or(pendingFinish)
	if s.mu.TryLock() {
		s.unlock()
	}
}

func (s *Stream) finishLocked(cause error) {
	if s.farewell != nil {
		s.setBuf(s.farewell(s.buf(), cause))
	}
	if err := s.flushRecovering(); err != nil {
		return
	}
	s.closeLocked(cause)
}

// abort ends the stream at once, without a farewell; the registry uses it
// when a shutdown's context expires.
func (s *Stream) abort(cause error) {
	s.cause.CompareAndSwap(nil, &cause)
	s.closed.Store(true)
	s.stopDone()
	s.cancel(cause)
	s.release()
}

func retryAfter(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(secs, 1), 10)
}
