package core

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Observer sees the life of every stream of a [Registry]: set it as
// [Registry.Observer]. Metrics exporters implement it (the modules under
// metrics/ in this repository do, for Prometheus and OpenTelemetry).
//
// A Registry without an Observer costs its streams nothing: no allocation,
// no call, one nil check per flush.
type Observer interface {
	// StreamOpened is called by [New] once the registry has admitted a
	// stream, before [New] returns and before any of its bytes are sent.
	// It returns the probe that follows this one stream, or nil not to
	// follow it. A refused stream is not opened.
	//
	// It is called from the handler's goroutine, concurrently for
	// different streams, and must not block.
	StreamOpened(info StreamInfo) StreamProbe
}

// StreamInfo describes a stream as it opens.
type StreamInfo struct {
	// Context is the request's context (the [Conn]'s), which carries the
	// HTTP server span, if any, for a tracing observer to parent the
	// stream's own span on. The stream ends with it, or earlier.
	Context context.Context

	// Kind is the encoder's name, from [Options.Kind]: "sse", "ndjson",
	// "chunked", or "relay" for a relayed upstream; "" when the stream was
	// built with [New] directly and no kind was given.
	Kind string

	// Route is the route pattern that matched the request, such as
	// "GET /sse/topics/{topic}", when the Conn knows it (see [RouteConn]);
	// otherwise "". It is the pattern, never the path, so it is a bounded
	// set of values.
	Route string

	// Start is when the stream was opened.
	Start time.Time
}

// StreamProbe follows one stream for an [Observer]. The stream calls
// FirstEvent and Sent while it holds its lock, so those calls never overlap
// one another; Ended is called once, after the last Sent, possibly from
// another goroutine (the one that noticed the client leave) and possibly a
// moment after the registry stopped counting the stream as active. No
// method may block or call the stream.
type StreamProbe interface {
	// FirstEvent is called once, when the first message (event, record,
	// chunk) has been flushed to the connection: after is the time since
	// the stream opened. The status line and headers alone, a preamble or
	// a heartbeat are not an event.
	FirstEvent(after time.Duration)

	// Sent is called after each flush with the messages and the body bytes
	// it sent; a heartbeat is bytes without a message.
	Sent(messages, bytes int64)

	// Ended is called once, when the stream ends for any reason.
	Ended(end StreamEnd)
}

// StreamEnd is how and why a stream ended, for [StreamProbe.Ended].
type StreamEnd struct {
	// Reason classifies Err; see [ReasonOf].
	Reason EndReason
	// Err is [Stream.Err] at the end.
	Err error
	// Messages and Bytes are what the stream sent over its life: messages
	// (not counting heartbeats) and body bytes, as [Registry.Stats] counts
	// them.
	Messages, Bytes int64
	// Duration is the stream's life, from [New] to its end.
	Duration time.Duration
}

// EndReason says why a stream ended, in a few words fit for a metric label.
type EndReason string

// The reasons a stream ends, from [ReasonOf].
const (
	// EndClosed: the handler closed the stream ([Stream.Close],
	// [Stream.CloseWith]); the ordinary end of a finite stream.
	EndClosed EndReason = "closed"
	// EndClientGone: the client disconnected, or the handler returned
	// without closing the stream; the request's context ended first.
	EndClientGone EndReason = "client_gone"
	// EndWriteTimeout: the client did not take a write within
	// [Options.WriteTimeout] ([ErrWriteTimeout]).
	EndWriteTimeout EndReason = "write_timeout"
	// EndServerTimeout: the server's own WriteTimeout cut the stream,
	// because a writer wrapper kept it from lifting the deadline
	// ([ErrServerTimeout]): a configuration problem, not the client's.
	EndServerTimeout EndReason = "server_timeout"
	// EndSlowClient: the client fell too far behind its producer and was
	// cut off ([ErrSlowClient]), as a hub's Disconnect policy does.
	EndSlowClient EndReason = "slow_client"
	// EndShutdown: [Registry.Shutdown] ended the stream.
	EndShutdown EndReason = "shutdown"
	// EndLifetime: the stream reached [Options.MaxLifetime].
	EndLifetime EndReason = "lifetime"
	// EndError: a write failed while the client still seemed connected,
	// or any other cause.
	EndError EndReason = "error"
)

// EndReasons returns every EndReason [ReasonOf] can give, so that a
// metrics exporter can start a series for each at zero.
func EndReasons() []EndReason {
	return []EndReason{EndClosed, EndClientGone, EndWriteTimeout, EndServerTimeout,
		EndSlowClient, EndShutdown, EndLifetime, EndError}
}

// ReasonOf classifies the error a stream ended with ([Stream.Err]) into a
// reason. The order of the checks matters only for errors that wrap more
// than one sentinel: a slow client first, then a timeout, shutdown,
// lifetime, a gone client and a close.
func ReasonOf(err error) EndReason {
	switch {
	case errors.Is(err, ErrSlowClient):
		return EndSlowClient
	case errors.Is(err, ErrWriteTimeout):
		return EndWriteTimeout
	case errors.Is(err, ErrServerTimeout):
		return EndServerTimeout
	case errors.Is(err, ErrShutdown):
		return EndShutdown
	case errors.Is(err, ErrLifetime):
		return EndLifetime
	case errors.Is(err, ErrClientGone):
		return EndClientGone
	case errors.Is(err, ErrClosed):
		return EndClosed
	}
	return EndError
}

// RouteConn is a [Conn] that knows the route pattern its request matched.
// [HTTPConn] reports the pattern of a net/http ServeMux; an adapter may
// report its router's. [New] asks only when the registry has an
// [Observer].
type RouteConn interface {
	Conn
	// Route returns the pattern, or "" when there is none.
	Route() string
}

// observed is a stream's state for its probe, allocated only for a stream
// whose registry has an observer.
type observed struct {
	probe    StreamProbe
	start    time.Time
	first    bool // under the stream's lock
	reported atomic.Bool
	messages atomic.Int64
	bytes    atomic.Int64
}

// observe asks o about a stream opening on c; nil when o does not follow
// it.
func observe(o Observer, c Conn, kind string) *observed {
	info := StreamInfo{Context: c.Context(), Kind: kind, Start: time.Now()}
	if rc, ok := c.(RouteConn); ok {
		info.Route = rc.Route()
	}
	p := o.StreamOpened(info)
	if p == nil {
		return nil
	}
	return &observed{probe: p, start: info.Start}
}

// sent records a flush; the stream's lock is held.
func (ob *observed) sent(messages, bytes int64) {
	ob.messages.Add(messages)
	ob.bytes.Add(bytes)
	if messages > 0 && !ob.first {
		ob.first = true
		ob.probe.FirstEvent(time.Since(ob.start))
	}
	ob.probe.Sent(messages, bytes)
}

// observeEnd reports the stream's end to its probe, once; release calls
// it, without the lock or, from closeLocked, with it and the cause set.
//
// Without a cause the Conn's context ended: the client left or the handler
// returned. A write may be under way, and may yet fail with a more telling
// cause than a gone client (net/http cancels the context when a write
// passes its deadline): wait for it to finish, so that the probe hears the
// cause the stream reports and no Sent comes after Ended. Release runs on
// its own goroutine then, and a write is bounded by its deadline.
func (s *Stream) observeEnd() {
	ob := s.obs
	if !ob.reported.CompareAndSwap(false, true) {
		return
	}
	if s.cause.Load() == nil {
		s.mu.Lock()
		err := s.endErr()
		s.unlock()
		ob.ended(err)
		return
	}
	ob.ended(s.endErr())
}

// ended reports the end to the probe.
func (ob *observed) ended(err error) {
	ob.probe.Ended(StreamEnd{
		Reason:   ReasonOf(err),
		Err:      err,
		Messages: ob.messages.Load(),
		Bytes:    ob.bytes.Load(),
		Duration: time.Since(ob.start),
	})
}

// endErr is why the stream ended. When release runs from the Conn's
// context callback, the cancellation may not have reached s.ctx yet: the
// client is gone all the same.
func (s *Stream) endErr() error {
	if err := s.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w: %w", ErrClientGone, context.Cause(s.conn.Context()))
}
