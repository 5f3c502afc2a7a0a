// Package streamtest helps test code built on streamkit's core.
//
// [Recorder] is an in-memory [core.Conn] for unit tests of handlers and
// encoders: it counts flushes, shows what a client would have received, and
// can play a client that disconnects or a connection that breaks.
//
// [Run] is the conformance suite every [core.Conn] implementation runs
// against a live server, in the manner of testing/slogtest: the adapter
// describes how to serve a request with its Conn in a [Harness], and Run
// checks headers, incremental delivery through a real socket, flush errors
// on a dead client, disconnect detection, concurrent writers, write
// deadlines, survival of a short server write timeout, registry counts and
// graceful shutdown. [CheckEnded] checks that a Conn kept past the end of
// its handler refuses every write and flush.
//
// [Discard] is a Conn that keeps nothing, for benchmarks; a test Conn may
// embed it and change one method. It is not a [core.WriteFlusher], so that
// a Conn embedding it and changing Write or Flush is flushed through them.
package streamtest
