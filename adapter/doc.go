// Package adapterkit holds what the framework adapters (streamgin,
// streamecho, streamhertz) share and what depends on no framework. It is
// internal: its API serves those adapters only, which live in their own
// modules under github.com/streamkit/streamkit/ and may import it through
// their replace of the root module.
//
// # Per-request state
//
// Each adapter's middleware makes a [State] per request with [NewState] and
// leaves it in the framework's context. The adapter's helpers read the
// registry and logger from it ([State.Registry], [State.Logger]), open
// streams through it ([State.SSE], [State.NDJSON], [State.Chunked]), which
// joins the middleware's registry and records the stream, and register the
// [Gate] of each Conn they bind ([State.Add]). When the handler chain
// returns, [State.End] closes the recorded streams after a normal return
// and the gates after any return; [State.Recover] is the deferred call that
// does this around a net/http-based framework's handler chain, and
// [State.LogPanic] logs a recovered panic the same way in every adapter.
// Every method works on a nil *State, as a request outside the middleware
// has.
//
// # Conns on net/http
//
// [GatedConn] is the framework-independent part of gin's and echo's Conns: a
// core.HTTPConn behind a [Gate] that refuses every call once the handler
// has returned. [State.HTTPConn] builds the core.HTTPConn, reading errors
// and deadlines from the writer the middleware saw when a wrapper installed
// since hides it.
//
// # Handler constructors
//
// [SSESeq], [NDJSONSeq], [NDJSONChan] and [ServeTopic] run the steps of the
// adapters' handler constructors of the same names once the adapter has
// bound the request: call the user's function, open the stream, serve it,
// and close it. They return an [Outcome], which each adapter reports in
// its framework's way (gin's c.Errors, an error returned to echo, hertz's
// ctx.Error and a log line). [Ordinary] tells the ends of a stream that are
// not errors.
package adapterkit
