// Command eventcost sends n benchmark events one way, on a Conn that
// discards, and nothing else: run-bench.sh runs it under valgrind's
// cachegrind for two values of n, so that the difference, divided by the
// difference in n, is what one event costs in instructions and in distinct
// lines of code, with every start-up cost cancelled out.
//
// Usage: eventcost way n, way being loop, validated, guarded, busy,
// spread or stream (the ways of BenchmarkEventPath and the busy and
// spread modes).
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/bench/internal/server"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/sse"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: eventcost loop|validated|guarded|busy|spread|stream n")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 0 {
		fmt.Fprintln(os.Stderr, "eventcost: n must be a count")
		os.Exit(2)
	}
	if err := run(os.Args[1], n); err != nil {
		fmt.Fprintln(os.Stderr, "eventcost:", err)
		os.Exit(1)
	}
}

func run(way string, n int) error {
	ids := payload.IDs(1 << 10)
	var c core.Conn = streamtest.Discard{}
	switch way {
	case "loop", "busy", "spread":
		buf := make([]byte, 0, 512)
		for i := range n {
			switch way {
			case "busy":
				server.BusyWork()
			case "spread":
				server.SpreadWork()
			}
			buf = server.AppendEvent(buf[:0], ids[i%len(ids)])
			c.Write(buf) //nolint:errcheck // discards
			c.Flush()    //nolint:errcheck // discards
		}
	case "validated":
		buf := make([]byte, 0, 512)
		e := sse.Event{Type: payload.Type, Data: payload.JSON}
		for i := range n {
			e.ID = ids[i%len(ids)]
			var err error
			if buf, err = sse.AppendEvent(buf[:0], &e); err != nil {
				return err
			}
			c.Write(buf) //nolint:errcheck // discards
			c.Flush()    //nolint:errcheck // discards
		}
	case "guarded":
		return server.GuardedLoop(c.Context(), ids, n, c.Write, c.Flush, c.SetWriteDeadline)
	case "stream":
		// No heartbeat: its queue would add a timer to the run.
		s, err := sse.NewStream(c, &sse.Options{Heartbeat: -1})
		if err != nil {
			return err
		}
		e := sse.Event{Type: payload.Type, Data: payload.JSON}
		for i := range n {
			e.ID = ids[i%len(ids)]
			if err := s.Send(&e); err != nil {
				return err
			}
		}
		return s.Close()
	default:
		return fmt.Errorf("unknown way %q", way)
	}
	return nil
}
