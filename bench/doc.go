// Package bench measures streamkit against its peers: the SSE and NDJSON
// encoders (the benchmarks in this package), the hub's fan-out to 10,000
// subscribers, and end-to-end streaming and idle memory over loopback with
// a server and a load generator in separate processes (cmd/benchserver,
// cmd/loadgen).
//
// The peers are dependencies of this module only: gin with gin-contrib/sse,
// echo v4 and v5, hertz's pkg/protocol/sse, tmaxmax/go-sse and r3labs/sse.
// The root module never imports them.
//
// run-bench.sh runs everything in bounded time and regenerates
// BENCHMARKS.md at the repository root with cmd/report; nothing in that
// file is typed by hand. The tests of this module (go test ./...) only
// check that the pieces work; the heavy runs happen in run-bench.sh.
package bench
