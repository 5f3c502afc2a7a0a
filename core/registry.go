package core

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Registry keeps count of the streams of a server, can cap how many are open
// at once, and shuts them all down gracefully. Its zero value is ready to
// use, with no limit. Set its fields before the first stream registers and
// do not change them afterwards. A Registry is safe for concurrent use.
//
// Streams join a Registry through [Options.Registry]; the adapters'
// middleware do that for every stream of a route.
type Registry struct {
	// Limit caps the number of open streams; 0 means no cap. A stream past
	// it is refused by [New] with 503 Service Unavailable.
	Limit int

	// RetryAfter is sent in the Retry-After header of a refusal; 0 means
	// 5 seconds. Rounded up to whole seconds.
	RetryAfter time.Duration

	// ShutdownSpread is the window over which [Registry.Shutdown] ends
	// streams, at random points, so that their clients do not all
	// reconnect to the next server in the same instant; 0 means one
	// second. It is cut to half of whatever time the shutdown context
	// leaves.
	ShutdownSpread time.Duration

	// Observer, when set, follows every stream that joins the registry:
	// its opening, first event, flushes and end (see [Observer]). Nil
	// costs the streams nothing.
	Observer Observer

	mu        sync.Mutex
	streams   map[*Stream]struct{}
	building  int // admitted streams that New has not finished
	closing   bool
	drained   chan struct{} // made by the first Shutdown, closed once when no stream is left
	isDrained bool
	total     atomic.Int64
	messages  atomic.Int64
	bytes     atomic.Int64
	dropped   atomic.Int64
	slow      atomic.Int64
	errs      atomic.Int64
}

// Stats is a snapshot of a [Registry]'s counters. It carries no encoding
// tags: a server that reports it picks its own names.
type Stats struct {
	// Active is the number of streams open now.
	Active int64
	// Total is the number of streams ever admitted.
	Total int64
	// Messages is the number of messages (events, records, chunks) sent,
	// not counting heartbeats.
	Messages int64
	// Bytes is the number of body bytes handed to the connection.
	Bytes int64
	// Dropped is the number of messages discarded for slow clients, as
	// reported through [Registry.CountDropped].
	Dropped int64
	// SlowDisconnects is the number of clients cut off for being too slow:
	// by a write deadline, or through [Registry.CountSlowDisconnect].
	SlowDisconnects int64
	// Errors is the number of streams that ended with a write error while
	// the client still seemed connected.
	Errors int64
}

// Stats returns the current counters.
func (r *Registry) Stats() Stats {
	r.mu.Lock()
	active := len(r.streams)
	r.mu.Unlock()
	return Stats{
		Active:          int64(active),
		Total:           r.total.Load(),
		Messages:        r.messages.Load(),
		Bytes:           r.bytes.Load(),
		Dropped:         r.dropped.Load(),
		SlowDisconnects: r.slow.Load(),
		Errors:          r.errs.Load(),
	}
}

// CountDropped adds n to the dropped-messages counter. A fan-out hub calls
// it when a slow subscriber's queue overflows.
func (r *Registry) CountDropped(n int64) { r.dropped.Add(n) }

// CountSlowDisconnect counts a client cut off for falling behind.
func (r *Registry) CountSlowDisconnect() { r.slow.Add(1) }

// admit reserves a place for a stream that New is about to build, or
// refuses it.
func (r *Registry) admit() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return fmt.Errorf("core: stream refused: %w", ErrShutdown)
	}
	if open := len(r.streams) + r.building; r.Limit > 0 && open >= r.Limit {
		return fmt.Errorf("core: stream refused: %d open: %w", open, ErrTooManyStreams)
	}
	r.building++
	r.total.Add(1)
	return nil
}

// enter turns the place admit reserved into the built stream s, visible to
// Shutdown from now on. It reports false when shutdown began meanwhile: the
// caller then ends s itself.
func (r *Registry) enter(s *Stream) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.building--
	if s.closed.Load() {
		// The client left while the stream was built, and release has
		// run (or will, and then finds nothing to delete).
		r.checkDrainedLocked()
		return true
	}
	if r.streams == nil {
		r.streams = make(map[*Stream]struct{})
	}
	r.streams[s] = struct{}{}
	return !r.closing
}

func (r *Registry) checkDrainedLocked() {
	if r.closing && !r.isDrained && len(r.streams) == 0 && r.building == 0 {
		r.isDrained = true
		close(r.drained)
	}
}

// reject answers a refused stream's client; nothing has been written yet.
func (r *Registry) reject(c Conn, err error) {
	ra := r.RetryAfter
	if ra <= 0 {
		ra = 5 * time.Second
	}
	c.SetHeader("Content-Type", "text/plain; charset=utf-8")
	c.SetHeader("Retry-After", retryAfter(ra))
	c.SetHeader("Cache-Control", "no-store")
	if c.Start(http.StatusServiceUnavailable) == nil {
		c.Write([]byte(err.Error() + "\n")) //nolint:errcheck // best effort on a refusal
		c.Flush()                           //nolint:errcheck
	}
}

func (r *Registry) leave(s *Stream) {
	r.mu.Lock()
	delete(r.streams, s)
	r.checkDrainedLocked()
	r.mu.Unlock()
}

func (r *Registry) sent(messages, bytes int64) {
	if messages > 0 {
		r.messages.Add(messages)
	}
	r.bytes.Add(bytes)
}

// Shutdown refuses new streams and asks every open one to finish: each
// sends its farewell (an SSE stream, a reconnect hint) and ends, at a random
// moment within [Registry.ShutdownSpread]. It returns nil once every stream
// has ended. If ctx ends first, the remaining streams are ended at once
// without a farewell, and Shutdown returns ctx's error.
//
// Shutdown may be called more than once, also concurrently: every call
// returns when the last stream has ended (or its own ctx ends first).
//
// Call it before http.Server.Shutdown, which otherwise waits for open
// streams forever.
func (r *Registry) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	open := make([]*Stream, 0, len(r.streams))
	for s := range r.streams {
		open = append(open, s)
	}
	if r.drained == nil {
		// Every caller, concurrent or late, waits on the same channel.
		r.drained = make(chan struct{})
	}
	drained := r.drained
	r.checkDrainedLocked()
	r.mu.Unlock()

	spread := r.ShutdownSpread
	if spread <= 0 {
		spread = time.Second
	}
	if dl, ok := ctx.Deadline(); ok {
		spread = min(spread, time.Until(dl)/2)
	}
	timers := make([]*time.Timer, 0, len(open))
	for _, s := range open {
		var d time.Duration
		if spread > 0 {
			d = rand.N(spread)
		}
		timers = append(timers, time.AfterFunc(d, func() { s.end(ErrShutdown) }))
	}
	defer func() {
		for _, t := range timers {
			t.Stop()
		}
	}()

	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		for _, s := range open {
			s.abort(fmt.Errorf("%w: %w", ErrShutdown, context.Cause(ctx)))
		}
		return ctx.Err()
	}
}
