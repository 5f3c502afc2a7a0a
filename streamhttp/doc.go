// Package streamhttp streams Server-Sent Events, NDJSON and raw bodies from
// plain net/http handlers (http.ServeMux, chi, any router that speaks
// http.Handler), with the same middleware and helpers as streamgin,
// streamecho and streamhertz: a registry that counts, caps and gracefully
// shuts down streams; streams that stop writing when the handler returns
// or panics; and panic recovery when asked for.
//
// # Use
//
// Wrap the stream routes in [Middleware], and call a helper in the
// handler:
//
//	reg := &core.Registry{Limit: 10_000}
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
//		last, err := sse.LastEventID(r)
//		if err != nil {
//			http.Error(w, err.Error(), http.StatusBadRequest)
//			return
//		}
//		s, err := streamhttp.SSE(w, r, nil)
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
//	mux.Handle("GET /topics/{topic}", streamhttp.HubTopic(h, "topic", nil))
//	srv := &http.Server{Handler: streamhttp.Middleware(&streamhttp.Config{Registry: reg})(mux)}
//
// With chi: r.Use(streamhttp.Middleware(cfg)); chi fills in r.PathValue
// for its URL parameters (v5.1 and later), which [HubTopic] reads.
//
// [SSE], [NDJSON] and [Chunked] hand a ready stream to the handler;
// [HubTopic] serves a hub topic; [NewConn] is the binding underneath, for
// core.New or any encoder. Uploads need no helper here: upload.Read takes
// the request. When a helper returns an error, it has answered the client
// (500 with the reason when the writer cannot flush, 503 from the
// registry) and the handler should just return. The handler must not
// return before it is done with its stream, and should Close it; under the
// middleware, a stream left open is closed, and stops writing, when the
// handler returns.
//
// The helpers work without the middleware too, with no registry and no
// clean-up. Flushes, disconnects, write deadlines and the server's
// WriteTimeout behave as core.NewHTTPConn describes: the flush error is
// read through Unwrap, disconnects end the request context at once, and
// every write's deadline replaces the server's absolute WriteTimeout. On
// HTTP/2 no Connection header is sent.
//
// # Panics
//
// Under [Middleware], a panic of a handler stops the streams it left open
// from writing and goes on unchanged, to your recovery middleware or to
// net/http, which logs it and drops the connection. With Config.Recover
// the middleware recovers it instead: a 500 with a plain-text body before
// a stream started; after, the stream just ends cleanly (the status cannot
// change any more); either way logged with the stack. A panic with
// http.ErrAbortHandler always goes on.
package streamhttp
