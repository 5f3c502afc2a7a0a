package core

import "errors"

// Errors a [Stream] reports. They are returned wrapped; match them with
// errors.Is.
var (
	// ErrClosed is returned by writes to a stream that has ended: closed by
	// its handler, by shutdown, by its maximum lifetime, or after an
	// earlier write failed. [Stream.Err] tells why it ended.
	ErrClosed = errors.New("core: stream closed")

	// ErrWriteTimeout reports a client that did not accept a write within
	// [Options.WriteTimeout]. The stream is ended and the registry counts a
	// slow-client disconnect.
	ErrWriteTimeout = errors.New("core: client too slow: write deadline exceeded")

	// ErrServerTimeout is the cause of a stream cut by the server's own
	// absolute WriteTimeout, which the stream could not lift because a
	// wrapper around the response writer hides the connection's write
	// deadline (it has no Unwrap method). The client did nothing wrong; the
	// stream logged, once per wrapper type, what to change.
	ErrServerTimeout = errors.New("core: cut by the server's WriteTimeout, which a response-writer wrapper kept the stream from lifting")
	// ErrSlowClient is the cause of a stream whose client fell too far
	// behind its producer and was cut off: a hub's subscriber under the
	// Disconnect policy, ended with [Stream.CloseCause].
	ErrSlowClient = errors.New("core: client too slow: fell too far behind")

	// ErrTooManyStreams is returned by [New] when the registry's
	// concurrency limit is reached; the client has been answered with 503
	// Service Unavailable and a Retry-After header.
	ErrTooManyStreams = errors.New("core: too many concurrent streams")

	// ErrShutdown is the cause of a stream ended by [Registry.Shutdown].
	ErrShutdown = errors.New("core: server shutting down")

	// ErrLifetime is the cause of a stream ended by [Options.MaxLifetime].
	ErrLifetime = errors.New("core: stream reached its maximum lifetime")

	// ErrClientGone is the cause of a stream whose client disconnected, or
	// whose handler returned, before the stream was closed.
	ErrClientGone = errors.New("core: client disconnected")
)
