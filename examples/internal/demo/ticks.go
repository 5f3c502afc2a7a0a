package demo

import (
	"context"
	"strconv"
	"time"

	"github.com/streamkit/streamkit/sse"
)

// Tick is tick n as an NDJSON record, {"n":n}.
type Tick struct {
	N int `json:"n"`
}

// TickEvent returns tick n as an SSE event: id n, event "tick", data
// {"n":n}.
func TickEvent(n int) sse.Event {
	s := strconv.Itoa(n)
	return sse.Event{ID: s, Type: "tick", Data: `{"n":` + s + `}`}
}

// Run calls send for the ticks from first to t.Count in order, the first at
// once and each next one Interval after the one before (on a fixed
// schedule, so slow sends do not add up). It stops early, returning the
// error, when send fails or ctx ends, and returns nil after the last tick.
// It runs on the caller's goroutine: the handler's.
func (t Ticks) Run(ctx context.Context, first int, send func(n int) error) error {
	start := time.Now()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for n := first; n <= t.Count; n++ {
		if n > first && t.Interval > 0 {
			wait := time.Until(start.Add(time.Duration(n-first) * t.Interval))
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-timer.C:
			}
		} else if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if err := send(n); err != nil {
			return err
		}
	}
	return nil
}
