package core

import (
	"context"
	"testing"
	"time"
)

// nopConn is a Conn that accepts everything, for tests of the stream's own
// state.
type nopConn struct{ ctx context.Context }

func (nopConn) SetHeader(string, string)         {}
func (nopConn) Start(int) error                  { return nil }
func (nopConn) Write(p []byte) (int, error)      { return len(p), nil }
func (nopConn) Flush() error                     { return nil }
func (nopConn) SetWriteDeadline(time.Time) error { return nil }
func (c nopConn) Context() context.Context       { return c.ctx }

func holdsBuffer(s *Stream) bool {
	s.mu.Lock()
	defer s.unlock()
	return s.out != nil
}

func appendMsg(dst []byte) ([]byte, error) { return append(dst, "data: x\n\n"...), nil }

// A stream holds a write buffer only while messages come in a burst: one
// message gives it back at once, a burst keeps it, and the heartbeat of a
// stream gone idle gives it back.
func TestBufferOnlyInBursts(t *testing.T) {
	s, err := New(nopConn{context.Background()}, &Options{
		Heartbeat:        20 * time.Millisecond,
		HeartbeatMessage: func(b []byte) []byte { return append(b, ":\n\n"...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Flush() // the headers, as an event stream sends them
	if err := s.Append(appendMsg); err != nil {
		t.Fatal(err)
	}
	if holdsBuffer(s) {
		t.Error("the stream kept its buffer after a single message")
	}
	// A burst: messages back to back, well within the clock's tick.
	// Only the flushes after the first may keep it, and only when two of
	// them fall within burstGap, which a loaded machine may miss: retry.
	kept := false
	for range 100 {
		for range 3 {
			s.Append(appendMsg) //nolint:errcheck // a nopConn never fails
		}
		if holdsBuffer(s) {
			kept = true
			break
		}
	}
	if !kept {
		t.Error("the stream gave its buffer back between messages of a burst")
	}
	deadline := time.Now().Add(10 * time.Second)
	for holdsBuffer(s) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if holdsBuffer(s) {
		t.Error("the stream still holds its buffer after idle heartbeats")
	}
}

// A buffer grown past retainLimit is dropped, not kept, even in a burst.
func TestBigBufferDropped(t *testing.T) {
	s, err := New(nopConn{context.Background()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := func(dst []byte) ([]byte, error) { return append(dst, make([]byte, retainLimit+1)...), nil }
	for range 3 {
		s.Append(big) //nolint:errcheck // a nopConn never fails
		if holdsBuffer(s) {
			t.Fatal("the stream kept a buffer larger than retainLimit")
		}
	}
}
