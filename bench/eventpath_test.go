package bench_test

import (
	"testing"

	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/bench/internal/server"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/sse"
)

// BenchmarkEventPath is what one event of the end-to-end benchmark costs in
// process, on a Conn that discards (so no socket and no framework), one
// guarantee at a time:
//
//   - loop: the hand-written loop's work, server.AppendEvent (no
//     validation), then Write and Flush on the Conn;
//   - busy: the loop plus the busy mode's arithmetic, a known cost whose
//     end-to-end effect gives the scale of the others';
//   - spread: the loop plus the spread mode's arithmetic, as long in
//     process but spread over far more code;
//   - validated: the same with sse.AppendEvent, which refuses an ID or type
//     with CR, LF or NUL and splits data on every line break, as the spec
//     requires;
//   - guarded: the validated loop keeping by hand what the stream
//     guarantees an event (server.GuardedLoop): a lock, the check that the
//     client is still there, the flush's error, a write deadline renewed
//     every 1,024 events;
//   - stream: sse.Stream.Send, which adds the stream: its lock (writers on
//     several goroutines never interleave), the check that the stream is
//     still open (no write after the client left or the handler returned),
//     the write deadline, the guard against a writer that panics, the
//     buffer and the registry's counters.
//
// The difference between the rows is what each guarantee costs per event;
// the end-to-end rows add the framework and a system call per flush.
func BenchmarkEventPath(b *testing.B) {
	ids := payload.IDs(1 << 10)
	var c core.Conn = streamtest.Discard{}
	// The loop, busy and spread rows are written out rather than built
	// by one function taking the extra work: a closure around the loop
	// makes the loop's own row some 5 ns slower here, and it is the
	// baseline of every other row.
	b.Run("loop", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		i := 0
		for b.Loop() {
			buf = server.AppendEvent(buf[:0], ids[i%len(ids)])
			c.Write(buf) //nolint:errcheck // discards
			c.Flush()    //nolint:errcheck // discards
			i++
		}
	})
	b.Run("busy", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		i := 0
		for b.Loop() {
			server.BusyWork()
			buf = server.AppendEvent(buf[:0], ids[i%len(ids)])
			c.Write(buf) //nolint:errcheck // discards
			c.Flush()    //nolint:errcheck // discards
			i++
		}
	})
	b.Run("spread", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		i := 0
		for b.Loop() {
			server.SpreadWork()
			buf = server.AppendEvent(buf[:0], ids[i%len(ids)])
			c.Write(buf) //nolint:errcheck // discards
			c.Flush()    //nolint:errcheck // discards
			i++
		}
	})
	b.Run("validated", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		e := sse.Event{Type: payload.Type, Data: payload.JSON}
		i := 0
		for b.Loop() {
			e.ID = ids[i%len(ids)]
			var err error
			if buf, err = sse.AppendEvent(buf[:0], &e); err != nil {
				b.Fatal(err)
			}
			c.Write(buf) //nolint:errcheck // discards
			c.Flush()    //nolint:errcheck // discards
			i++
		}
	})
	b.Run("guarded", func(b *testing.B) {
		// One call for all b.N events, as the guarded mode's handler makes
		// one for all of its own.
		if err := server.GuardedLoop(c.Context(), ids, b.N, c.Write, c.Flush, c.SetWriteDeadline); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("stream", func(b *testing.B) {
		s, err := sse.NewStream(c, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		e := sse.Event{Type: payload.Type, Data: payload.JSON}
		i := 0
		for b.Loop() {
			e.ID = ids[i%len(ids)]
			if err := s.Send(&e); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// TestEventPathAgree checks that the three ways of BenchmarkEventPath
// encode the same bytes.
func TestEventPathAgree(t *testing.T) {
	id := payload.IDs(1)[0]
	loop := string(server.AppendEvent(nil, id))
	v, err := sse.AppendEvent(nil, &sse.Event{ID: id, Type: payload.Type, Data: payload.JSON})
	if err != nil {
		t.Fatal(err)
	}
	if string(v) != loop {
		t.Fatalf("sse.AppendEvent = %q, the loop writes %q", v, loop)
	}
}
