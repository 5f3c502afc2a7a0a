package streamtest

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"
)

// Recorder is an in-memory [core.Conn] for unit tests of code that writes
// streams. It records the headers, the status, the body, what had been
// flushed and how often, and the write deadlines set. Its context ends when
// [Recorder.Disconnect] is called, as a real one does when the client
// leaves.
//
// A Recorder is safe for concurrent use: a test may read it while a stream
// writes to it.
type Recorder struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	header     http.Header
	status     int
	body       bytes.Buffer
	flushedLen int
	flushes    int
	deadline   time.Time
	writeErr   error
	flushed    chan struct{}
}

// NewRecorder returns a Recorder whose context derives from the test's
// background context.
func NewRecorder() *Recorder {
	ctx, cancel := context.WithCancel(context.Background())
	return &Recorder{ctx: ctx, cancel: cancel, header: make(http.Header), flushed: make(chan struct{})}
}

// SetHeader implements core.Conn.
func (r *Recorder) SetHeader(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == 0 {
		r.header.Set(key, value)
	}
}

// Start implements core.Conn.
func (r *Recorder) Start(status int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == 0 {
		r.status = status
	}
	return nil
}

// Write implements core.Conn. After [Recorder.FailWrites] it fails.
func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writeErr != nil {
		return 0, r.writeErr
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

// Flush implements core.Conn. After [Recorder.FailWrites] it fails.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writeErr != nil {
		return r.writeErr
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.flushes++
	r.flushedLen = r.body.Len()
	close(r.flushed)
	r.flushed = make(chan struct{})
	return nil
}

// SetWriteDeadline implements core.Conn; it records t.
func (r *Recorder) SetWriteDeadline(t time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deadline = t
	return nil
}

// Context implements core.Conn.
func (r *Recorder) Context() context.Context { return r.ctx }

// Disconnect ends the context, as a client that goes away does.
func (r *Recorder) Disconnect() { r.cancel() }

// FailWrites makes every later Write and Flush fail with err, as they do
// once a real connection breaks.
func (r *Recorder) FailWrites(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writeErr = err
}

// Header returns a copy of the headers as they were sent (or are now, if
// nothing has been sent).
func (r *Recorder) Header() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.header.Clone()
}

// Status returns the status sent, or 0 before Start.
func (r *Recorder) Status() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Body returns everything written, flushed or not.
func (r *Recorder) Body() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body.String()
}

// Flushed returns what a client would have received: the body up to the
// last flush.
func (r *Recorder) Flushed() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.body.Bytes()[:r.flushedLen])
}

// Flushes returns how many times Flush succeeded.
func (r *Recorder) Flushes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushes
}

// Deadline returns the last write deadline set, zero if none or cleared.
func (r *Recorder) Deadline() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.deadline
}

// WaitFlush blocks until the next successful Flush or until d passes, and
// reports whether a flush happened.
func (r *Recorder) WaitFlush(d time.Duration) bool {
	r.mu.Lock()
	ch := r.flushed
	r.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
