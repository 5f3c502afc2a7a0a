package core_test

import (
	"fmt"
	"sync"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// lockedConn is the Conn of a framework whose responses another goroutine
// may finish: every call into the framework's writer holds mu. As a
// core.WriteFlusher it takes mu once per flush instead of twice.
type lockedConn struct {
	*streamtest.Recorder // stands in for the framework's writer
	mu                   sync.Mutex
	flushes              int
}

func (c *lockedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Recorder.Write(p)
}

func (c *lockedConn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Recorder.Flush()
}

// WriteFlush does what Write and then Flush do, under one lock.
func (c *lockedConn) WriteFlush(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushes++
	if _, err := c.Recorder.Write(p); err != nil {
		return err
	}
	return c.Recorder.Flush()
}

// A Conn that guards its calls writes and flushes each message with one
// WriteFlush.
func ExampleWriteFlusher() {
	c := &lockedConn{Recorder: streamtest.NewRecorder()}
	s, _ := core.New(c, &core.Options{Heartbeat: -1})
	s.Write([]byte("a\n"))
	s.Write([]byte("b\n"))
	s.Close()
	fmt.Printf("%d WriteFlush calls: %q\n", c.flushes, c.Recorder.Flushed())
	// Output:
	// 2 WriteFlush calls: "a\nb\n"
}
