package core_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// callConn is a core.WriteFlusher that logs the calls that carry bytes or
// flush, and fails WriteFlush with err when it is set.
type callConn struct {
	*streamtest.Recorder
	calls []string
	err   error
}

func (c *callConn) Write(p []byte) (int, error) {
	c.calls = append(c.calls, "Write "+string(p))
	return c.Recorder.Write(p)
}

func (c *callConn) Flush() error {
	c.calls = append(c.calls, "Flush")
	return c.Recorder.Flush()
}

func (c *callConn) WriteFlush(p []byte) error {
	c.calls = append(c.calls, "WriteFlush "+string(p))
	if c.err != nil {
		return c.err
	}
	if _, err := c.Recorder.Write(p); err != nil {
		return err
	}
	return c.Recorder.Flush()
}

// TestWriteFlusher checks that a stream whose Conn is a WriteFlusher
// flushes what it has buffered with one WriteFlush, writes first what was
// buffered before a message that goes straight through, flushes nothing
// with Flush, and fails on WriteFlush's error.
func TestWriteFlusher(t *testing.T) {
	t.Run("one call per flush", func(t *testing.T) {
		c := &callConn{Recorder: streamtest.NewRecorder()}
		s := mustNew(t, c, &core.Options{Heartbeat: -1})
		if _, err := s.Write([]byte("a")); err != nil {
			t.Fatal(err)
		}
		if err := s.Append(func(b []byte) ([]byte, error) { return append(b, "b"...), nil }); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		want := []string{"WriteFlush a", "WriteFlush b", "Flush", "Flush"}
		if !slices.Equal(c.calls, want) {
			t.Errorf("calls %q, want %q", c.calls, want)
		}
		if got := c.Body(); got != "ab" {
			t.Errorf("body %q, want %q", got, "ab")
		}
	})
	t.Run("buffered bytes first", func(t *testing.T) {
		c := &callConn{Recorder: streamtest.NewRecorder()}
		s := mustNew(t, c, &core.Options{Heartbeat: -1, Flush: core.FlushPolicy{MaxBytes: 4, MaxDelay: time.Hour}})
		for _, m := range []string{"ab", "cdef"} {
			if _, err := s.Write([]byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"Write ab", "WriteFlush cdef"}
		if !slices.Equal(c.calls, want) {
			t.Errorf("calls %q, want %q", c.calls, want)
		}
		s.Close()
	})
	t.Run("error", func(t *testing.T) {
		errConn := errors.New("connection reset")
		c := &callConn{Recorder: streamtest.NewRecorder(), err: errConn}
		s := mustNew(t, c, &core.Options{Heartbeat: -1})
		if _, err := s.Write([]byte("a")); !errors.Is(err, errConn) {
			t.Fatalf("Write = %v, want the Conn's error", err)
		}
		if !errors.Is(s.Err(), errConn) {
			t.Errorf("Err = %v, want the Conn's error", s.Err())
		}
		if _, err := s.Write([]byte("b")); !errors.Is(err, core.ErrClosed) && !errors.Is(err, errConn) {
			t.Errorf("Write after the failure = %v, want the stream ended", err)
		}
	})
}
