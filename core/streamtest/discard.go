package streamtest

import (
	"context"
	"time"
)

// Discard is a [core.Conn] that accepts everything and keeps nothing: its
// writes and flushes succeed at once, deadlines are accepted and ignored,
// and its context never ends. Benchmarks use it to time what a stream does
// with no connection beneath it.
type Discard struct{}

// SetHeader implements [core.Conn]; the header is dropped.
func (Discard) SetHeader(string, string) {}

// Start implements [core.Conn].
func (Discard) Start(int) error { return nil }

// Write implements [core.Conn]: p is dropped, whole.
func (Discard) Write(p []byte) (int, error) { return len(p), nil }

// Flush implements [core.Conn].
func (Discard) Flush() error { return nil }

// SetWriteDeadline implements [core.Conn]; the deadline is ignored.
func (Discard) SetWriteDeadline(time.Time) error { return nil }

// Context implements [core.Conn]: context.Background, which never ends.
func (Discard) Context() context.Context { return context.Background() }
