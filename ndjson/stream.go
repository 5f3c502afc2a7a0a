package ndjson

import (
	"context"
	"fmt"
	"time"

	"github.com/streamkit/streamkit/core"
)

// Options configures a [Stream]. The zero value, and a nil *Options, mean
// NDJSON without an envelope, encoded by encoding/json, flushed after every
// record, no heartbeat, [core.DefaultWriteTimeout] per write, no maximum
// lifetime and no registry.
type Options struct {
	// Format chooses the framing and the Content-Type; the zero value is
	// [Lines].
	Format Format

	// Envelope wraps each value as {"result":...}, sends
	// {"error":{"message":...}} from [Stream.Error], and ends with
	// {"end":true} from [Stream.Close], so that a client can tell a
	// complete stream from a cut one; see the package documentation.
	Envelope bool

	// Heartbeat is how long the stream may stay idle before something is
	// sent to keep proxies from timing it out; 0 (the default) sends
	// nothing, because many NDJSON readers reject blank lines. What is sent:
	// in envelope mode the record {"heartbeat":true}; otherwise a blank
	// line, or a lone RS for [JSONSeq] (RFC 7464 readers ignore repeated
	// RS). JSON Lines readers reject blank lines: use an envelope there.
	Heartbeat time.Duration

	// Flush chooses when records go to the client; the zero value flushes
	// every record.
	Flush core.FlushPolicy

	// WriteTimeout, MaxLifetime and LifetimeJitter are passed to
	// [core.Options]. A stream ended by its lifetime or by a registry
	// shutdown sends, in envelope mode, an error record naming the cause,
	// so that the client knows to retry.
	WriteTimeout   time.Duration
	MaxLifetime    time.Duration
	LifetimeJitter time.Duration

	// Registry, when set, counts the stream, may refuse it and can shut it
	// down; see [core.Registry].
	Registry *core.Registry

	// Marshal encodes one value; nil means encoding/json without HTML
	// escaping. Its output is checked as [AppendRecord] describes.
	Marshal func(any) ([]byte, error)
}

// Stream writes records to an HTTP response through a [core.Stream]. It is
// safe for concurrent use: records from several goroutines never interleave,
// and nothing follows the end or error record. The handler that created it
// must call [Stream.Close] before it returns (in envelope mode, Close sends
// the end record).
type Stream struct {
	st       *core.Stream
	f        Format
	envelope bool
	marshal  func(any) ([]byte, error)
}

// NewStream starts a stream of records on c, with the Content-Type of
// opts.Format. Nothing is sent until the first record or [Stream.Flush], so
// the caller can still set headers on c.
//
// When opts.Registry refuses the stream, the client has been answered with
// 503 Service Unavailable and the error matches [core.ErrTooManyStreams] or
// [core.ErrShutdown]. An unknown opts.Format gives an error and nothing
// written.
func NewStream(c core.Conn, opts *Options) (*Stream, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if !o.Format.valid() {
		return nil, fmt.Errorf("ndjson: unknown %v", o.Format)
	}
	s := &Stream{f: o.Format, envelope: o.Envelope, marshal: o.Marshal}
	co := &core.Options{
		ContentType:    o.Format.ContentType(),
		Kind:           "ndjson",
		Flush:          o.Flush,
		WriteTimeout:   o.WriteTimeout,
		MaxLifetime:    o.MaxLifetime,
		LifetimeJitter: o.LifetimeJitter,
		Registry:       o.Registry,
	}
	if o.Heartbeat > 0 {
		co.Heartbeat = o.Heartbeat
		co.HeartbeatMessage = s.heartbeat
	}
	if o.Envelope {
		co.Farewell = s.farewell
	}
	st, err := core.New(c, co)
	if err != nil {
		return nil, fmt.Errorf("ndjson: %w", err)
	}
	s.st = st
	return s, nil
}

func (s *Stream) heartbeat(dst []byte) []byte {
	return appendHeartbeat(dst, s.f, s.envelope)
}

// farewell ends an envelope stream that the server ends (shutdown, maximum
// lifetime) with an error record, so the client does not take it for a
// complete one.
func (s *Stream) farewell(dst []byte, cause error) []byte {
	return appendError(dst, cause.Error(), s.f)
}

// Encode sends v as one record, under the flush policy. If v cannot be
// encoded, nothing is sent, the error says why (it matches
// [ErrInvalidJSON] when Marshal returned bad JSON) and the stream stays
// open. Once the stream has ended, Encode returns an error matching
// [core.ErrClosed]; it wraps the cause, such as [core.ErrClientGone] or
// [core.ErrWriteTimeout].
func (s *Stream) Encode(v any) error {
	return s.st.Append(func(dst []byte) ([]byte, error) {
		return appendRecord(dst, v, s.marshal, s.f, s.envelope)
	})
}

// Error ends the stream because of err. In envelope mode it first sends the
// error record {"error":{"message":"<err.Error()>"}}, and no end record
// follows: the message reaches the client as is, so wrap or replace errors
// that hold anything private. Without an envelope there is no way to tell
// the client in band: Error sends nothing more and the response ends as a
// complete one would (use envelope mode when clients must know).
//
// Error returns the error of sending the last bytes, if any, and nil when
// the stream had already ended. Error(nil) is Close().
func (s *Stream) Error(err error) error {
	if err == nil {
		return s.Close()
	}
	if !s.envelope {
		return s.st.Close()
	}
	msg := err.Error()
	return s.st.CloseWith(func(dst []byte) ([]byte, error) {
		return appendError(dst, msg, s.f), nil
	})
}

// Close ends the stream: in envelope mode it first sends the end record
// {"end":true}; then it flushes what is buffered. It returns the error of
// that last write, and nil when the stream had already ended; it is
// idempotent.
func (s *Stream) Close() error {
	if !s.envelope {
		return s.st.Close()
	}
	return s.st.CloseWith(func(dst []byte) ([]byte, error) {
		return appendFixed(dst, endRecord, s.f), nil
	})
}

// Flush sends what is buffered now, whatever the flush policy; on a stream
// that has sent nothing yet it sends the status line and headers. A proxy
// in between may still buffer: see the core package documentation.
func (s *Stream) Flush() error { return s.st.Flush() }

// Context returns a context cancelled when the stream ends. Hand it to the
// producer of the records so that it stops when the client leaves.
func (s *Stream) Context() context.Context { return s.st.Context() }

// Err returns nil while the stream is open, and then why it ended; see
// [core.Stream.Err].
func (s *Stream) Err() error { return s.st.Err() }

// Core returns the underlying [core.Stream], to write raw bytes or read its
// state. Bytes written there bypass the framing of this package.
func (s *Stream) Core() *core.Stream { return s.st }
