// Package core is the framework-agnostic streaming engine of streamkit.
//
// A [Conn] is what a web framework supplies: headers, a status, writes, a
// flush that reports errors, a write deadline and a context that ends when
// the client leaves. [NewHTTPConn] binds net/http (and so gin and echo); the
// streamhertz module binds hertz.
//
// A [Stream] on a Conn is what encoders (packages sse, ndjson and chunked)
// write to. It buffers messages and flushes them by a [FlushPolicy], sends
// heartbeats when idle, bounds each write with a deadline so that a stuck
// client is cut off instead of holding its handler forever, replaces the
// server's absolute WriteTimeout so long streams live, and can end itself
// after a maximum lifetime. It is safe for concurrent use and parks no
// goroutine of its own.
//
// A [Registry] counts streams, caps how many are open and shuts them down
// gracefully, spreading the ends so that clients do not reconnect all at
// once.
//
// # Flushing and proxies
//
// A flush hands bytes to the connection; a proxy in between may still hold
// them. Streams set X-Accel-Buffering: no, which nginx honours; other
// proxies, and compression middleware that does not flush, need their own
// configuration.
//
// # Errors
//
// Writes report the error that ended the stream, wrapped: match it with
// errors.Is against [ErrClosed], [ErrWriteTimeout], [ErrClientGone],
// [ErrShutdown] or [ErrLifetime]. A writer that cannot stream at all gives
// an error matching errors.ErrUnsupported before anything is written.
package core
