package chunked

import (
	"context"
	"fmt"
	"time"

	"github.com/streamkit/streamkit/core"
)

// DefaultContentType is the Content-Type of a [Stream] whose
// [Options.ContentType] is empty.
const DefaultContentType = "application/octet-stream"

// Options configures a [Stream]. The zero value, and a nil *Options, mean
// application/octet-stream, each write flushed at once,
// [core.DefaultWriteTimeout] per write, no maximum lifetime, no registry.
type Options struct {
	// ContentType is sent as the Content-Type header; "" means
	// [DefaultContentType]. Say text/html; charset=utf-8 for progressive
	// HTML.
	ContentType string

	// Flush chooses when written bytes go to the client; the zero value
	// flushes after every Write. A coalescing [core.FlushPolicy] gathers
	// small writes into fewer, larger flushes.
	Flush core.FlushPolicy

	// WriteTimeout bounds how long one flush may take before the client is
	// cut off as too slow; see [core.Options.WriteTimeout].
	WriteTimeout time.Duration

	// MaxLifetime and LifetimeJitter end the stream after a while; see
	// [core.Options]. A raw body has no way to tell the client why, so
	// leave them zero for downloads that must complete.
	MaxLifetime    time.Duration
	LifetimeJitter time.Duration

	// Registry, when set, counts the stream, may refuse it and can shut it
	// down; see [core.Registry].
	Registry *core.Registry
}

// Stream writes a raw response body through a [core.Stream]: no framing of
// its own, so what the client reads is exactly what was written. HTTP/1.1
// carries it with chunked transfer encoding, HTTP/2 in DATA frames.
//
// A Stream is safe for concurrent use, though interleaving writes from
// several goroutines rarely makes sense for a byte stream. It sends no
// heartbeats: a raw body has no bytes a client would know to ignore. The
// handler that created it must not return before it is done with it, and
// should call [Stream.Close].
type Stream struct {
	st         *core.Stream
	coalescing bool
}

// NewStream starts a raw stream on c. Nothing is sent until the first
// write or [Stream.Flush], so the caller can still set headers on c, such
// as Content-Disposition. No Content-Length is sent: the body's length is
// what is written.
//
// When opts.Registry refuses the stream, the client has been answered with
// 503 Service Unavailable, and the error matches [core.ErrTooManyStreams]
// or [core.ErrShutdown].
func NewStream(c core.Conn, opts *Options) (*Stream, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.ContentType == "" {
		o.ContentType = DefaultContentType
	}
	st, err := core.New(c, &core.Options{
		ContentType:    o.ContentType,
		Kind:           "chunked",
		Flush:          o.Flush,
		WriteTimeout:   o.WriteTimeout,
		MaxLifetime:    o.MaxLifetime,
		LifetimeJitter: o.LifetimeJitter,
		Registry:       o.Registry,
	})
	if err != nil {
		return nil, fmt.Errorf("chunked: %w", err)
	}
	return &Stream{st: st, coalescing: o.Flush != (core.FlushPolicy{})}, nil
}

// Write sends p under the flush policy: with the default policy, p is
// written through to the connection and flushed, without being copied.
// Write does not retain p. An empty p does nothing. Once the stream has
// ended, Write returns an error matching [core.ErrClosed] that wraps the
// cause, such as [core.ErrClientGone] or [core.ErrWriteTimeout].
func (s *Stream) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return s.st.Write(p)
}

// Flush sends what is buffered now, whatever the flush policy; on a stream
// that has sent nothing yet it sends the status line and headers. A proxy
// in between may still buffer what a flush sends: see the core package
// documentation.
func (s *Stream) Flush() error { return s.st.Flush() }

// Close flushes what is buffered and ends the body. It returns the error of
// that last write, and nil when the stream had already ended; it is
// idempotent.
func (s *Stream) Close() error { return s.st.Close() }

// Context returns a context cancelled when the stream ends. Hand it to
// whatever produces the bytes so that it stops when the client leaves.
func (s *Stream) Context() context.Context { return s.st.Context() }

// Err returns nil while the stream is open, and then why it ended; see
// [core.Stream.Err].
func (s *Stream) Err() error { return s.st.Err() }

// Core returns the underlying [core.Stream].
func (s *Stream) Core() *core.Stream { return s.st }
