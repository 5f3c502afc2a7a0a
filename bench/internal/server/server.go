// Package server holds the end-to-end benchmark servers: for each
// framework (net/http, gin, echo v4 and v5, hertz on netpoll and on the
// standard transport), one handler per way of streaming
// Server-Sent Events, all sending the same events, so that the load
// generator compares like with like. cmd/benchserver runs one of them in a
// process of its own.
//
// Every handler serves GET /sse?n=N&idle=B: N events (ID "1" to "N",
// type payload.Type, data payload.JSON), then, with idle=1, it keeps the
// stream open until the client leaves; otherwise the response ends. The
// events are the same bytes in every mode, except that gin's own encoder
// writes no space after the colons.
package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// Frameworks lists the frameworks, in report order.
// "hertz" is hertz on its default transport (netpoll), "hertz-standard"
// on the standard library's (standard.NewTransporter).
var Frameworks = []string{"nethttp", "gin", "echo", "echov5", "hertz", "hertz-standard"}

// Modes of streaming, in report order.
const (
	// Own is the framework's own way, as its documentation or cookbook
	// shows it: gin's c.SSEvent path (c.Render with sse.Event) and
	// c.Writer.Flush; echo's cookbook fmt.Fprintf and Response().Flush;
	// echo v5's cookbook fmt.Fprintf and
	// http.NewResponseController(c.Response()).Flush();
	// hertz's pkg/protocol/sse Writer; for net/http, fmt.Fprintf and
	// http.Flusher.
	Own = "own"
	// Loop is a careful hand-written loop: each event appended to a
	// reused buffer, written and flushed through the framework's writer.
	Loop = "loop"
	// Validated is the hand-written loop encoding with streamkit's
	// sse.AppendEvent instead, which applies the spec's field rules: the
	// loop plus validation, and nothing else of streamkit, so that the
	// end-to-end cost of validation shows apart from the stream's.
	Validated = "validated"
	// Guarded is the hand-written loop keeping, by hand, the guarantees an
	// event through a streamkit stream gets (see [GuardedLoop]): the
	// loop a careful user writes who needs them, so that the end-to-end
	// cost of the guarantees shows apart from the cost of the rest of
	// streamkit.
	Guarded = "guarded"
	// Busy is the hand-written loop plus BusyNanos of arithmetic per
	// event, a known cost: what the end-to-end figures make of it shows
	// how much a given cost per event moves them.
	Busy = "busy"
	// Spread is the hand-written loop plus spreadWork per event: about
	// as long as Busy's arithmetic in process, but spread over some 75
	// lines of code instead of one loop, about as many as an event
	// through the stream runs. The two side by side end to end show
	// whether the amount of code an event runs matters there, beside its
	// time.
	Spread = "spread"
	// Streamkit is the streamkit adapter's SSE stream, flushing after
	// every event (the default).
	Streamkit = "streamkit"
	// Coalesce is the streamkit adapter's SSE stream with
	// core.FlushPolicy{MaxBytes: CoalesceBytes, MaxDelay: CoalesceDelay}.
	Coalesce = "coalesce"
	// Batch writes events encoded before the request in 32 KiB writes,
	// each flushed: the ceiling of what the framework can carry.
	Batch = "batch"
)

// Modes lists the modes in report order.
var Modes = []string{Own, Loop, Validated, Guarded, Busy, Spread, Streamkit, Coalesce, Batch}

// The coalescing policy of the [Coalesce] mode.
const (
	CoalesceBytes = 32 << 10
	CoalesceDelay = 5 * time.Millisecond
)

// batchSize is the size of each write of the [Batch] mode.
const batchSize = 32 << 10

// MaxEvents is the most events one request may ask for.
const MaxEvents = 1 << 20

// idCount is the number of distinct IDs; event i has ID ids[i%idCount].
// The IDs are built at start so that no handler measures integer
// formatting.
const idCount = 1 << 14

// events is what every handler sends.
type events struct {
	ids []string
	// wire is idCount events encoded back to back, and ends[i] the end
	// of event i in it, for the Batch mode.
	wire []byte
	ends []int
}

func newEvents() *events {
	ev := &events{ids: payload.IDs(idCount)}
	for _, id := range ev.ids {
		ev.wire = AppendEvent(ev.wire, id)
		ev.ends = append(ev.ends, len(ev.wire))
	}
	return ev
}

// id returns the ID of event i (from 0).
func (ev *events) id(i int) string { return ev.ids[i%idCount] }

// appendEvent appends the benchmark event with the given ID the way
// mode's loop encodes it: with [AppendEvent] for [Loop], [Busy] and
// [Spread], with sse.AppendEvent for [Validated]; [Busy] and [Spread]
// first do their arithmetic. The branch is the same for every event, so
// it costs the loop next to nothing.
func appendEvent(mode string, dst []byte, id string) []byte {
	switch mode {
	case Validated:
		e := sse.Event{ID: id, Type: payload.Type, Data: payload.JSON}
		b, err := sse.AppendEvent(dst, &e)
		if err != nil {
			panic(err) // the benchmark event is valid
		}
		return b
	case Busy:
		BusyWork()
	case Spread:
		SpreadWork()
	}
	return AppendEvent(dst, id)
}

// guardedTimeout is the write deadline [GuardedLoop] keeps ahead of its
// writes, streamkit's default (core.DefaultWriteTimeout).
const guardedTimeout = core.DefaultWriteTimeout

// guardedRenewal is how many events [GuardedLoop] sends between renewals
// of its write deadline.
const guardedRenewal = 1024

// GuardedLoop sends n benchmark events, event i with the ID
// ids[i%len(ids)], as the [Guarded] mode's loop does: the hand-written loop
// plus, for each event, what a streamkit stream guarantees it, kept by hand
// the way a careful user would:
//
//   - the fields checked against the spec's rules (sse.AppendEvent);
//   - a lock, so that other goroutines (a heartbeat, say) can write to
//     the response without interleaving their bytes with the event's;
//   - a check that the client is still there (ctx, which ends when it
//     leaves), so that a stream to a departed client stops at once;
//   - a flush that returns its error (flush), where the frameworks'
//     Flush methods mostly drop it;
//   - a write deadline (setDeadline), so that a client that stops
//     reading cannot hold the handler forever, renewed every
//     guardedRenewal events rather than timed, which would cost a clock
//     reading per event.
//
// write and flush are the framework's. GuardedLoop returns the first
// error, having sent the events before it.
func GuardedLoop(ctx context.Context, ids []string, n int, write func([]byte) (int, error), flush func() error, setDeadline func(time.Time) error) error {
	var mu sync.Mutex
	buf := make([]byte, 0, 512)
	e := sse.Event{Type: payload.Type, Data: payload.JSON}
	send := func(i int) error {
		mu.Lock()
		defer mu.Unlock()
		if err := ctx.Err(); err != nil {
			return err
		}
		if i%guardedRenewal == 0 {
			if err := setDeadline(time.Now().Add(guardedTimeout)); err != nil {
				return err
			}
		}
		e.ID = ids[i%len(ids)]
		var err error
		if buf, err = sse.AppendEvent(buf[:0], &e); err != nil {
			return err
		}
		if _, err := write(buf); err != nil {
			return err
		}
		return flush()
	}
	for i := range n {
		if err := send(i); err != nil {
			return err
		}
	}
	return nil
}

// BusyNanos is the arithmetic per event of the [Busy] mode, in
// nanoseconds of this machine: busyRounds is calibrated at start.
const BusyNanos = 100

var busyRounds = calibrateBusy()

//go:generate go run ./spreadgen

// SpreadWork does the [Spread] mode's arithmetic for one event.
func SpreadWork() { keep(spreadWork(uint64(busyRounds))) }

// BusyWork does the [Busy] mode's arithmetic for one event.
func BusyWork() { keep(busyWork(busyRounds)) }

// keep takes a result that must be computed and does nothing with it: a
// call to a function never inlined is never dropped, nor what its
// arguments need.
//
//go:noinline
func keep(uint64) {}

// busyWork runs n rounds of a linear congruential step, each depending
// on the last, so that the rounds cannot overlap.
//
//go:noinline
func busyWork(n int) uint64 {
	x := uint64(n)
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// calibrateBusy returns how many rounds of busyWork take BusyNanos: the
// fastest of a few timings, since other work only ever slows one down.
func calibrateBusy() int {
	const n = 1 << 20
	best := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		keep(busyWork(n))
		best = min(best, time.Since(start))
	}
	return max(1, int(int64(BusyNanos)*n/max(int64(best), 1)))
}

// AppendEvent appends the benchmark event with the given ID, as the
// hand-written loop writes it: no validation, no line splitting.
func AppendEvent(dst []byte, id string) []byte {
	dst = append(dst, "id: "...)
	dst = append(dst, id...)
	dst = append(dst, "\nevent: "+payload.Type+"\ndata: "+payload.JSON+"\n\n"...)
	return dst
}

// batches calls write with the wire form of events 0 to n-1, in pieces of
// at most batchSize bytes, cut at event boundaries, and stops at the first
// error.
func (ev *events) batches(n int, write func([]byte) error) error {
	for start := 0; start < n; {
		// Events start..end-1, within one pass over the ring of IDs.
		from := start % idCount
		first := 0
		if from > 0 {
			first = ev.ends[from-1]
		}
		end := min(n, start+idCount-from)
		last := from + (end - start) // index after the last event
		// Shrink to batchSize.
		i, _ := slices.BinarySearch(ev.ends[from:last], first+batchSize+1)
		if i == 0 {
			i = 1
		}
		if err := write(ev.wire[first:ev.ends[from+i-1]]); err != nil {
			return err
		}
		start += i
	}
	return nil
}

// request is what a handler needs from the query.
type request struct {
	n    int
	idle bool
}

func parse(get func(string) string) (request, error) {
	n, err := strconv.Atoi(get("n"))
	if err != nil || n < 0 || n > MaxEvents {
		return request{}, fmt.Errorf("n must be an integer from 0 to %d", MaxEvents)
	}
	return request{n: n, idle: get("idle") == "1"}, nil
}

// Server is a running benchmark server.
type Server struct {
	// Addr is the host:port it listens on.
	Addr  string
	close func(context.Context) error
}

// Close shuts the server down, waiting for handlers up to ctx.
func (s *Server) Close(ctx context.Context) error { return s.close(ctx) }

// Start serves framework's handler for mode on ln until Close. It returns
// an error for an unknown framework or mode.
func Start(framework, mode string, ln net.Listener) (*Server, error) {
	if !slices.Contains(Modes, mode) {
		return nil, fmt.Errorf("server: unknown mode %q (want one of %v)", mode, Modes)
	}
	ev := newEvents()
	switch framework {
	case "nethttp":
		return serveHTTP(ln, netHTTPHandler(mode, ev))
	case "gin":
		return serveHTTP(ln, ginHandler(mode, ev))
	case "echo":
		return serveHTTP(ln, echoHandler(mode, ev))
	case "echov5":
		return serveHTTP(ln, echoV5Handler(mode, ev))
	case "hertz":
		return serveHertz(ln, mode, ev, false)
	case "hertz-standard":
		return serveHertz(ln, mode, ev, true)
	}
	return nil, fmt.Errorf("server: unknown framework %q (want one of %v)", framework, Frameworks)
}

// serveHTTP runs h on a net/http server; gin and echo (v4 and v5) ride on it.
func serveHTTP(ln net.Listener, h http.Handler) (*Server, error) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln) //nolint:errcheck // ErrServerClosed after Close
	}()
	return &Server{Addr: ln.Addr().String(), close: func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if err != nil {
			srv.Close() //nolint:errcheck // already failing
		}
		<-done
		return err
	}}, nil
}

// flushPolicy returns the streamkit flush policy of mode.
func flushPolicy(mode string) core.FlushPolicy {
	if mode == Coalesce {
		return core.FlushPolicy{MaxBytes: CoalesceBytes, MaxDelay: CoalesceDelay}
	}
	return core.FlushPolicy{}
}
