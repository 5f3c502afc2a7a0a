// Package adapter is what streamkit's framework adapters share, published
// so that anyone can bind streamkit to another framework (chi needs none:
// see streamhttp; fiber, fasthttp, a router of your own) the way
// streamgin, streamecho and streamhertz do. Its API follows the root
// module's version and is kept stable like the rest of it.
//
// # Writing an adapter
//
// A binding supplies two things:
//
//  1. A [core.Conn] for one request: SetHeader, Start, Write, Flush that
//     reports the connection's error, SetWriteDeadline, and a Context that
//     ends when the client leaves or the handler returns. On net/http,
//     [core.NewHTTPConn] is that Conn; [State.HTTPConn] builds it so that
//     it still reaches the connection beneath a writer wrapper installed
//     after the middleware (compression). The Conn contract, its call order
//     and its locking, is documented on [core.Conn].
//  2. A middleware that makes a [State] per request with [NewState],
//     leaves it in the framework's request context, and runs the rest of
//     the chain with [State.Run].
//
// The adapter's helpers then read the State back and open streams through
// it: [State.SSE], [State.NDJSON] and [State.Chunked] fill in the
// middleware's registry where the options name none and record the
// stream, so that [State.End] (which Run calls when the chain returns)
// closes what the handler left open. A Conn that writes through the
// framework's writer wraps its calls in a [Gate], registered with
// [State.Add], so that nothing writes to a response the framework has
// finished; [GatedConn] is that Conn for writers built on net/http.
// [ServeTopic] serves a hub topic for the adapter's HubTopic handler.
//
// Panics are the application's: with Run's onPanic nil, a panic of the
// handler goes on unchanged after the streams were stopped, for the
// application's own recovery middleware. An adapter offers recovery as an
// option (Config.Recover in streamkit's adapters) by passing an onPanic
// that logs with [State.LogPanic] and answers 500, or ends the stream
// when it has started.
//
// Prove the binding with the conformance suite: call
// core/streamtest.Run from a test with a Harness that serves your Conn on
// a real server, under every transport the framework offers. streamkit's
// own adapters run it on HTTP/1.1 and HTTP/2.
//
// # Concurrency
//
// Every method of [State] is safe for concurrent use and works on a nil
// *State (a request outside the middleware): no registry, slog.Default()
// for logging, nothing recorded. A [Gate] and a [GatedConn] are used from
// one request's stream and its middleware.
package adapter
