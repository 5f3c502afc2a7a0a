// Package streamhertz streams Server-Sent Events, NDJSON and chunked bodies
// from hertz (github.com/cloudwego/hertz) handlers, on the streamkit engine.
//
//	h := server.Default(server.WithSenseClientDisconnection(true))
//	reg := &core.Registry{Limit: 10000}
//	stream := h.Group("/stream", streamhertz.Middleware(&streamhertz.Config{Registry: reg}))
//	stream.GET("/ticks", func(c context.Context, ctx *app.RequestContext) {
//		s, err := streamhertz.SSE(c, ctx, nil)
//		if err != nil {
//			return // already answered: 500 with the reason, or 503
//		}
//		defer s.Close()
//		for i := 0; ; i++ {
//			if err := sse.SendJSON(s, nil, map[string]int{"n": i}); err != nil {
//				return // the client left
//			}
//			time.Sleep(time.Second)
//		}
//	})
//	stream.GET("/topics/:topic", streamhertz.HubTopic(hb, "topic", nil))
//
// [NewConn] binds a request to a core.Conn; [SSE], [NDJSON] and [Chunked]
// hand a handler a ready stream in one call; [HubTopic] builds a whole
// handler for a hub topic; [LastEventID] reads where a client resumes
// (the rule of sse.LastEventID, for a request hertz holds); [Upload] reads
// a streamed request body; [Middleware] supplies the registry, makes sure
// nothing is written after the handler returns or panics, and recovers
// panics when Config.Recover asks it to (by default they go on to hertz's
// recovery middleware, or your own).
//
// # How the bytes get out
//
// hertz normally buffers a handler's body and writes it after the handler
// returns, and its ctx.Write drops write errors. The binding installs its
// own writer as the response's hijack writer and writes through hertz's
// chunked body writer, straight to the connection, so every flush sends
// and every failed write is reported to the stream. HTTP/1.0 clients, which
// cannot read chunked encoding, get the raw body with Connection: close,
// ended by closing the connection. HEAD requests and bodiless statuses
// (204, 304) get the header alone. Until a stream starts, the handler can
// still answer normally with ctx.String and friends.
//
// A handler must not return before it is done with its stream: hertz ends
// the response (the final chunk) once the handler chain returns, and the
// binding then refuses every write, so a heartbeat that fires late cannot
// write into the connection's next response. Do not reset the response
// (ctx.AbortWithMsg, Response.Reset) after a stream started: [Middleware]
// repairs it, but without the middleware hertz would write a second
// response after the stream, and the request would lose track of its
// binding (a second NewConn would no longer be refused).
//
// # Disconnects: WithSenseClientDisconnection
//
// hertz's handler context c belongs to the connection, not the request: it
// outlives a keep-alive request, and it is cancelled when the client leaves
// only if the server runs with server.WithSenseClientDisconnection(true).
// That option works on both transports, netpoll (the default on Linux and
// macOS) and the standard library one (server.WithTransport(
// standard.NewTransporter)), although its documentation says netpoll only.
// The stream's context derives from c and also ends when the handler
// returns: the binding ends the stream then (see NewConn), without a
// context level of its own per request.
//
// Without the option, a stream learns that its client left only when a
// write fails, so a silent stream never notices: send heartbeats
// (sse.Options.Heartbeat; 15 seconds by default for SSE, off for NDJSON),
// which bound how long it takes. Measured on loopback, Go 1.26.8, hertz
// v0.10.4, from the client's close to the stream ending (medians of 3, the
// spread over repeated runs):
//
//	transport  sense  silent handler   a write every 20ms    SSE, 50ms heartbeat
//	netpoll    off    never            20 ms (1st write)     50 ms (1st heartbeat)
//	netpoll    on     0.02-0.05 ms     20 ms (next write)    0.05 ms
//	standard   off    never            40 ms (2nd write)     100 ms (2nd heartbeat)
//	standard   on     0.01-0.04 ms     20 ms (next write)    0.02-0.04 ms
//
// On the standard transport the first write after the client's FIN still
// succeeds; the second meets its reset. With the option, the context ends at
// once and the next write returns core.ErrClosed without touching the
// connection. The standard transport does not watch for disconnects while a
// request body is being streamed (server.WithStreamBody with a body), so an
// upload handler that also streams a response relies on its writes there.
// The option is server-wide; routes that must not be cancelled can use
// context.WithoutCancel.
//
// # Write deadlines
//
// A stream bounds each write (core.Options.WriteTimeout, 10 seconds by
// default) through the connection's write deadline, ctx.GetConn(). On the
// standard transport that is net.Conn's absolute deadline. On netpoll it is
// netpoll's absolute write deadline, which overrides the per-flush
// server.WithWriteTimeout while it is set and fails a flush that is still
// blocked when it passes. A client that stops reading is cut off with
// core.ErrWriteTimeout on both. The server's own write timeout never ends a
// stream: netpoll's applies per blocked flush, not per response, and the
// stream's deadline takes its place anyway; the standard transport ignores
// server.WithWriteTimeout altogether. When the response is finished the
// deadline is cleared, which gives a keep-alive connection's next request
// the server's own timeout back.
//
// # Compression, HTTP/2
//
// A hijack writer installed before the binding, as a streaming compression
// middleware does, is kept and written through: each flush goes through it.
// Do not use hertz-contrib/gzip's GzipStream on stream routes as it is: it
// compresses each write as a gzip member of its own, the first one empty,
// and many clients stop at the end of the first member without an error
// (curl --compressed, Python's httpx, Chromium's fetch all saw no records;
// Go's gzip.Reader, which reads concatenated members, and EventSource,
// which the middleware skips, were spared). What works: leave stream
// routes uncompressed (mount the gzip middleware on the other routes
// only), or compress with one gzip writer for the whole response, flushed
// (a sync flush) at every stream flush, which every client reads as one
// member. The ordinary gzip middleware compresses the buffered body after
// the handler and cannot stream. The
// binding refuses, with an error matching errors.ErrUnsupported, requests
// that do not come through hertz's HTTP/1 server, such as HTTP/2 through
// hertz-contrib/http2, whose chunked writer does not stream; the helpers and
// the middleware answer them with 500 and the reason.
//
// # Uploads
//
// [Upload] reads a request body as it arrives. hertz hands handlers a
// streamed body only with server.WithStreamBody(true); otherwise the whole
// body is read into memory first. Even then, hertz reads
// min(Content-Length, server.WithMaxRequestBodySize + 1, 8 KiB + 1) bytes
// of the body before any middleware or handler runs, and nothing runs
// between reading the headers and that read. So an upload over the limit
// gets its 413 only once that much has come: a client that sends its
// headers and waits hears nothing. With streamed bodies the size is only
// that read-ahead, so set it to 1 (two bytes are then read). A client that
// waits announces it with "Expect: 100-continue", which hertz answers
// itself, "100 Continue", before any handler: set the engine's
// ContinueHandler to [ContinueLimit] so that an announced body over the
// limit is refused unsent, with 413 from Upload. The bounds on slow bodies
// (upload.Options.ReadIdleTimeout, MinRate) apply to what Upload reads,
// through the connection's read deadline, not to the read-ahead, which only
// hertz's read timeout bounds. hertz also parses multipart forms of known length before the handler unless
// server.WithDisablePreParseMultipartForm(true) is set, and netpoll reads
// the body into its own buffers ahead of the handler: for large uploads use
// the standard transport, where memory stays bounded. Measured with a
// 64 MiB upload hashed as it arrived: the heap grew by 0.2 MiB on the
// standard transport and by 20 to 39 MiB on netpoll. When an upload is
// refused or fails half way, answer with ctx.SetConnectionClose() ([Upload]
// does when it refuses), so that the client does not send another request
// on a connection whose body was left unread; note that hertz still reads
// and discards the rest of the body after the handler, whatever its size.
package streamhertz
