// Package streamechov5 streams Server-Sent Events, NDJSON and raw bodies
// from echo v5 handlers (github.com/labstack/echo/v5), on streamkit's core
// engine: flushes that report a dead client and never panic, disconnects
// noticed at once, write deadlines that survive the server's WriteTimeout,
// a registry that counts, caps and gracefully shuts down streams, and
// streams that stop writing when the handler returns or panics. It offers
// what streamecho offers for echo v4, under the same names, taking echo
// v5's *echo.Context.
//
// # Use
//
// Put [Middleware] on the stream routes, after (inside) compression
// middleware, and call a helper in the handler:
//
//	reg := &core.Registry{Limit: 10_000}
//	e := echo.New()
//	streams := e.Group("", streamechov5.Middleware(&streamechov5.Config{Registry: reg}))
//	streams.GET("/events", func(c *echo.Context) error {
//		last, err := sse.LastEventID(c.Request())
//		if err != nil {
//			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
//		}
//		s, err := streamechov5.SSE(c, nil)
//		if err != nil {
//			return err // already answered (500, 503), or the client left
//		}
//		defer s.Close()
//		for ev := range updates(s.Context(), last) {
//			if err := s.Send(&ev); err != nil {
//				return nil // the client left
//			}
//		}
//		return nil
//	})
//	streams.GET("/topics/:topic", streamechov5.HubTopic(h, "topic", nil))
//
// [SSE], [NDJSON] and [Chunked] hand a ready stream to the handler;
// [HubTopic] serves a hub topic; [Upload] reads a request body as it
// arrives, in constant memory. [NewConn] is the binding underneath the
// streams, for [core.New] or any encoder. When a stream helper returns an
// error, it has answered the client (500 with the reason, 503 from the
// registry) and the handler should return the error: echo's error handler
// leaves an answered response alone, and logging middleware sees it.
// [Upload] answers nothing: it returns an error carrying 413 or 400 for
// echo's error handler to answer; errors met while reading map to a status
// with upload.Status. The handler must not return before it is done with
// its stream, and should Close it; under the middleware, a stream left
// open is closed, and stops writing, when the handler returns.
//
// # How echo v5 is driven
//
// In echo v5, c.Response() is an http.ResponseWriter: echo's
// *echo.Response, or a middleware's writer wrapped around it (Gzip installs
// one with c.SetResponse). The stream writes through c.Response() as it is
// when the stream opens, so compression applies and echo's Status, Size
// and After hooks (which echo runs after every Write: keep them cheap) see
// the bytes. It commits echo's Response before its first flush, so an
// error the handler returns once streaming began is left alone by echo's
// error handler, not answered with a second status line. Flushes never
// rely on echo.Response.Flush, which panics on a writer that cannot flush
// and drops errors: the binding flushes the wrappers above echo's
// Response, then the writer beneath it, whose error reports a dead client
// on the flush that met it. Echo's own c.Stream only copies a reader
// without flushing; do not use it for events. Disconnects come from
// c.Request().Context().
//
// # Disconnects
//
// net/http cancels the request context when the client closes its
// connection or resets an HTTP/2 stream; the stream is done within a
// fraction of a millisecond on loopback (TestDisconnectDetection logs the
// figures for HTTP/1.1, h2c, HTTP/2 over TLS and Gzip). One exception,
// from net/http: on a request with a body (a POST), disconnects are
// noticed only once the body has been read to its end; read or discard it
// before streaming. A client that vanishes without closing its connection
// is found by the next write that times out: keep heartbeats on.
//
// # Write deadlines and WriteTimeout
//
// Every write has a deadline (sse.Options.WriteTimeout and the like,
// core.DefaultWriteTimeout by default), which also replaces the server's
// absolute http.Server.WriteTimeout, so long streams are not cut by it.
// The deadline is set on the writer beneath echo's Response, found through
// Unwrap; for wrappers that hide echo's Response, the middleware captures
// the deadline control before they are installed.
//
// # Compression
//
// echo's Gzip middleware flushes its compressor on every flush, so each
// event reaches the client on its own, compressed; the connection's errors
// are read beneath it. Streams always set their Content-Type (Gzip would
// otherwise sniff it from the first bytes), and a stream that ends before
// its first event still ends as a valid gzip body. Register Gzip before
// [Middleware] (e.Use(middleware.Gzip()), or first in a group's list): the
// middleware then closes a stream the handler left open while Gzip's
// writer is still the request's. In the other order, Gzip finishes the
// body and hands its compressor to the next request first, and that
// stream's last flush would write into another request's compressor.
//
// # Timeouts, panics and non-streaming writers
//
// Keep echo's ContextTimeout middleware off stream routes: it cancels the
// request context at its deadline, which ends the stream. When nothing
// beneath echo's Response can flush (echo served behind
// http.TimeoutHandler, whose writer buffers the whole response), the
// helpers answer 500 with the reason in plain text and [NewConn] returns an
// error matching errors.ErrUnsupported, before anything is written,
// instead of the panic of echo.Response.Flush.
//
// Under [Middleware], a panic of a handler stops the streams it left open
// from writing and goes on unchanged, to echo's Recover middleware or your
// own. With Config.Recover the middleware recovers it instead: a 500 with
// a plain-text body before the response was committed; after the stream
// started, the stream just ends cleanly (the status cannot change any
// more); either way logged with the stack, and the middleware returns
// nil.
//
// # Protocols and proxies
//
// HTTP/2 works as HTTP/1.1 does (no Connection header is sent on it). An
// HTTP/1.0 client gets no chunked encoding: net/http sends a body that
// ends when the connection closes, and flushes still arrive one by one. A
// flush hands bytes to the connection; a proxy in between may still
// buffer them. Streams send X-Accel-Buffering: no, which nginx honours;
// other proxies need their own configuration, and heartbeats keep idle
// streams from being timed out by them.
package streamechov5
