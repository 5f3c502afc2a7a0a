package sse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/streamkit/streamkit/core"
)

// defaultHeartbeat follows the spec's advice of a comment "every 15 seconds
// or so" to keep proxies from closing an idle stream.
const defaultHeartbeat = 15 * time.Second

// defaultShutdownRetry is the reconnection hint of the farewell: long enough
// for a load balancer to stop routing to a server that is going away, and
// close to what browsers wait by default.
const defaultShutdownRetry = 3 * time.Second

// Options configures a [Stream]. The zero value, and a nil *Options, mean
// the defaults: a heartbeat every 15 seconds, no initial retry hint, a flush
// after every event, core's default write timeout, no lifetime limit, a
// 3-second retry hint in the farewell, no registry, encoding/json.
type Options struct {
	// Heartbeat is how long the stream may stay idle before an empty
	// comment (":" and a blank line) is sent, which keeps proxies from
	// closing it and makes a vanished client show up as a failed write.
	// 0 means 15 seconds; a negative value disables heartbeats.
	Heartbeat time.Duration

	// Retry, when positive, is sent as a retry hint together with the
	// headers, setting how long the browser waits before reconnecting.
	Retry time.Duration

	// Flush chooses when events go to the client: after every event (the
	// zero value), or coalesced: see core.FlushPolicy.
	Flush core.FlushPolicy

	// WriteTimeout, MaxLifetime and LifetimeJitter are passed to
	// core.Options: see there.
	WriteTimeout   time.Duration
	MaxLifetime    time.Duration
	LifetimeJitter time.Duration

	// ShutdownRetry is the retry hint of the farewell sent when the stream
	// is ended by Registry.Shutdown or MaxLifetime, so that clients come
	// back after a pause instead of at once. 0 means 3 seconds; a negative
	// value sends the farewell comment without a hint. The registry's
	// ShutdownSpread and LifetimeJitter spread the farewells themselves.
	ShutdownRetry time.Duration

	// Registry, when set, counts the stream, may refuse it and can shut it
	// down: see core.Registry.
	Registry *core.Registry

	// Marshal encodes the values given to [SendJSON]; nil means
	// json.Marshal.
	Marshal func(any) ([]byte, error)
}

// Stream is a Server-Sent Events response on a core.Stream. Create it with
// [NewStream] in the handler that serves the request.
//
// A Stream is safe for concurrent use: events sent from several goroutines,
// heartbeats and the farewell never interleave their bytes.
//
// The handler must call [Stream.Close] before it returns, also when the
// stream has already ended (the client left, shutdown): defer it right
// after NewStream. Heartbeats and the farewell are written from timers, and
// Close is what waits for one that is under way, so that nothing touches
// the response writer once the handler has returned.
//
// Closing the stream does not stop the browser: EventSource reconnects to a
// stream that ends. To make it stop, answer its next request with
// [NoContent], or send an event the page handles by calling close().
type Stream struct {
	cs      *core.Stream
	marshal func(any) ([]byte, error)
}

// NewStream starts an event stream on c: Content-Type [ContentType], no
// caching or proxy buffering, heartbeats, and the farewell, then sends the
// status line and headers at once, with the initial retry hint when
// opts.Retry is set, so that the browser's EventSource opens without
// waiting for the first event. Frameworks that buffer responses, and some
// proxies, may still hold bytes back: see the core package.
//
// When the registry refuses the stream, the client has been answered with
// 503 and NewStream returns core.New's error unchanged (it matches
// core.ErrTooManyStreams or core.ErrShutdown). When sending the headers
// fails, the client is gone; the error is returned and there is no
// stream. Either way the handler should just return.
func NewStream(c core.Conn, opts *Options) (*Stream, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	hb := o.Heartbeat
	switch {
	case hb == 0:
		hb = defaultHeartbeat
	case hb < 0:
		hb = 0
	}
	retry := o.ShutdownRetry
	if retry == 0 {
		retry = defaultShutdownRetry
	}
	cs, err := core.New(c, &core.Options{
		ContentType:      ContentType,
		Kind:             "sse",
		Flush:            o.Flush,
		Heartbeat:        hb,
		HeartbeatMessage: appendHeartbeat,
		WriteTimeout:     o.WriteTimeout,
		MaxLifetime:      o.MaxLifetime,
		LifetimeJitter:   o.LifetimeJitter,
		Registry:         o.Registry,
		Farewell: func(dst []byte, cause error) []byte {
			return appendFarewell(dst, cause, retry)
		},
		Preamble: preamble(o.Retry),
	})
	if err != nil {
		return nil, err
	}
	s := &Stream{cs: cs, marshal: o.Marshal}
	if s.marshal == nil {
		s.marshal = json.Marshal
	}
	if err := cs.Flush(); err != nil {
		cs.Close() //nolint:errcheck // the stream has already failed
		return nil, fmt.Errorf("sse: send headers: %w", err)
	}
	return s, nil
}

// preamble returns the initial retry hint, sent with the headers and not
// counted as an event; nil when there is none.
func preamble(retry time.Duration) func([]byte) []byte {
	if retry <= 0 {
		return nil
	}
	return func(dst []byte) []byte { return append(appendRetry(dst, retry), '\n') }
}

func appendHeartbeat(dst []byte) []byte { return append(dst, ":\n\n"...) }

// appendFarewell is the last block of a stream ended by shutdown or by its
// lifetime: a comment saying why, for people reading the stream, and the
// retry hint.
func appendFarewell(dst []byte, cause error, retry time.Duration) []byte {
	if errors.Is(cause, core.ErrLifetime) {
		dst = append(dst, ": stream lifetime reached, reconnect\n"...)
	} else {
		dst = append(dst, ": server shutting down, reconnect later\n"...)
	}
	if retry > 0 {
		dst = appendRetry(dst, retry)
	}
	return append(dst, '\n')
}

// Send writes e as one event under the flush policy. An event that cannot
// be sent (see [ErrInvalidField]) returns that error and writes nothing; the
// stream stays open. Any other error means the stream has ended: it matches
// core.ErrClosed, and [Stream.Err] says why. Send encodes straight into the
// stream's buffer and does not allocate.
func (s *Stream) Send(e *Event) error {
	return s.cs.Append(func(dst []byte) ([]byte, error) {
		return AppendEvent(dst, e)
	})
}

// Comment sends text as a comment block (one ": " line per line of text,
// then a blank line), which browsers ignore: useful as an application-level
// keep-alive or to annotate a stream for people reading it.
func (s *Stream) Comment(text string) error {
	return s.cs.Append(func(dst []byte) ([]byte, error) {
		return appendComment(dst, text), nil
	})
}

// SendJSON sends an event whose data is v encoded with the stream's
// [Options.Marshal], and whose other fields come from e (nil for none;
// e.Data is ignored). See [AppendJSON]. v is marshalled before the stream is
// locked, so a slow marshaller does not hold up heartbeats or other
// senders.
func SendJSON[T any](s *Stream, e *Event, v T) error {
	if e == nil {
		e = &Event{}
	}
	b, err := marshalData(e, v, s.marshal)
	if err != nil {
		return err
	}
	return s.cs.Append(func(dst []byte) ([]byte, error) {
		return appendEvent(dst, e, bytesAsString(b), true), nil
	})
}

// Flush sends what the flush policy is holding back now.
func (s *Stream) Flush() error { return s.cs.Flush() }

// Close flushes what is buffered and ends the response; see core.Stream's
// Close. It is idempotent, and returns nil on a stream that had already
// ended. The handler must call it before returning: see [Stream]. The
// browser will reconnect unless told otherwise.
func (s *Stream) Close() error { return s.cs.Close() }

// Context returns a context that is cancelled when the stream ends, whatever
// the reason: the client left, the handler closed it, shutdown, lifetime, or
// a failed write. Pass it to whatever produces the events, or select on its
// Done channel.
func (s *Stream) Context() context.Context { return s.cs.Context() }

// Err returns nil while the stream is open, then why it ended; see
// core.Stream's Err.
func (s *Stream) Err() error { return s.cs.Err() }

// Core returns the underlying core.Stream: the escape hatch for what this
// type does not wrap. Events already encoded with [AppendEvent] (a fan-out
// hub encodes an event once for every subscriber) go out with
// Core().Write, as one message, unchecked: the bytes must end with the
// blank line of their last event, or they run into whatever is sent next.
func (s *Stream) Core() *core.Stream { return s.cs }

// NoContent answers the request with 204 No Content, which tells a browser's
// EventSource to stop reconnecting for good (a 200 stream that ends, even
// cleanly, makes it reconnect). Call it instead of [NewStream], before
// anything was sent: when the client asks to resume after the last event
// there will ever be, for example.
func NoContent(c core.Conn) error {
	if err := c.Start(http.StatusNoContent); err != nil {
		return fmt.Errorf("sse: no content: %w", err)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("sse: no content: %w", err)
	}
	return nil
}
