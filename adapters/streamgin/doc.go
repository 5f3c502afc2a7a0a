// Package streamgin streams Server-Sent Events, NDJSON and raw bodies from
// gin handlers, on streamkit's core engine: flushes that report a dead
// client, disconnects noticed at once, write deadlines that survive the
// server's WriteTimeout and compression middleware, a registry that counts,
// caps and gracefully shuts down streams, and streams that stop writing
// when the handler returns or panics.
//
// # Use
//
// Put [Middleware] on the stream routes, before any compression
// middleware, and call a helper in the handler:
//
//	reg := &core.Registry{Limit: 10_000}
//	r := gin.Default()
//	streams := r.Group("/", streamgin.Middleware(&streamgin.Config{Registry: reg}))
//	streams.GET("/events", func(c *gin.Context) {
//		last, err := sse.LastEventID(c.Request)
//		if err != nil {
//			c.String(http.StatusBadRequest, err.Error())
//			return
//		}
//		s, err := streamgin.SSE(c, nil)
//		if err != nil {
//			return // already answered (500, 503), or the client left
//		}
//		defer s.Close()
//		for ev := range updates(s.Context(), last) {
//			if err := s.Send(&ev); err != nil {
//				return // the client left
//			}
//		}
//	})
//	streams.GET("/topics/:topic", streamgin.HubTopic(h, "topic", nil))
//
// [SSE], [NDJSON] and [Chunked] hand a ready stream to the handler;
// [HubTopic] serves a hub topic; [Upload] reads a request body as it
// arrives, in constant memory. [NewConn] is the binding underneath the
// streams, for [core.New] or any encoder. When a helper
// returns an error, it has answered the client (500 with the reason, 503
// from the registry, 413 or 400 for an upload) and the handler should just
// return. The handler must not return before it is done with its stream,
// and should Close it; under the middleware, a stream left open is closed,
// and stops writing, when the handler returns. [HubTopic] records the
// errors that end its streams in c.Errors, for gin's Logger.
//
// # How gin is driven
//
// The status goes through c.Writer, so gin's Written, Status and Size
// describe the stream, and a later error path (c.JSON, AbortWithStatus,
// gin's Recovery) cannot send a second status line. Flushes skip gin's
// Flush, which drops errors, for net/http's FlushError, so a write to a
// client that has gone fails at once. Disconnects come from
// c.Request.Context(), not c.Done(), which is nil unless the engine sets
// ContextWithFallback, nor c.Stream's CloseNotify, which panics on writers
// that lack it.
//
// # Disconnects
//
// net/http cancels the request context when the client closes its
// connection or resets an HTTP/2 stream; the stream is done within a
// fraction of a millisecond on loopback (medians of 0.02 to 0.06 ms
// measured on HTTP/1.1, h2c, HTTP/2 over TLS and through gzip). One exception, from net/http: on a request with a body (a POST),
// disconnects are noticed only once the body has been read to its end;
// read or discard it before streaming. A client that vanishes without
// closing its connection is found by the next write that times out: keep
// heartbeats on.
//
// # Write deadlines and WriteTimeout
//
// Every write has a deadline (sse.Options.WriteTimeout and the like,
// core.DefaultWriteTimeout by default), which also replaces the server's
// absolute http.Server.WriteTimeout, so long streams are not cut by it.
// gin-contrib/gzip's writer hides SetWriteDeadline (it has no Unwrap); the
// middleware captures the deadline control before gzip is installed, which
// is why it must come first. Without it, under gzip, WriteTimeout ends the
// stream.
//
// # Compression
//
// gin-contrib/gzip (v1.2.5) flushes its compressor on every flush, so each
// event reaches the client on its own, compressed; the connection's errors
// are read beneath it. Register it after [Middleware]. Register gin's
// Recovery before both (gin.Default does): a Recovery inside gzip marks
// the response as failed and gzip then leaves the stream without its
// trailer.
//
// # Panics and non-streaming writers
//
// Under [Middleware], a panic of a handler stops the streams it left open
// from writing and goes on unchanged, to gin's Recovery or your own. With
// Config.Recover the middleware recovers it instead: a 500 with a
// plain-text body before anything was sent; after the stream started, the
// stream just ends cleanly (the status cannot change any more) and the
// remaining handlers do not run; either way logged with the stack. A
// writer that cannot flush (the route sits under http.TimeoutHandler,
// say) gets a 500 with the reason from the helpers, and [NewConn] returns
// an error matching
// errors.ErrUnsupported, before anything is written.
//
// # Protocols and proxies
//
// HTTP/2 works as HTTP/1.1 does (no Connection header is sent on it).
// An HTTP/1.0 client gets no chunked encoding: net/http sends a body that
// ends when the connection closes, and flushes still arrive one by one.
// A flush hands bytes to the connection; a proxy in between may still
// buffer them. Streams send X-Accel-Buffering: no, which nginx honours;
// other proxies need their own configuration, and heartbeats keep idle
// streams from being timed out by them.
package streamgin
