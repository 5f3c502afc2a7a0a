package core

import (
	"context"
	"math"
	"testing"
	"time"
	"unsafe"
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

// A Stream is one 256-byte allocation, the size class an idle stream's
// memory was measured with, and what every message reads or writes lies
// in its first 128 bytes.
func TestStreamLayout(t *testing.T) {
	var s Stream
	if size := unsafe.Sizeof(s); size > 256 {
		t.Errorf("a Stream is %d bytes, more than 256", size)
	}
	hot := map[string]uintptr{
		"mu": unsafe.Offsetof(s.mu) + unsafe.Sizeof(s.mu), "ctx": unsafe.Offsetof(s.ctx) + unsafe.Sizeof(s.ctx),
		"conn": unsafe.Offsetof(s.conn) + unsafe.Sizeof(s.conn), "out": unsafe.Offsetof(s.out) + unsafe.Sizeof(s.out),
		"policy": unsafe.Offsetof(s.policy) + unsafe.Sizeof(s.policy), "due": unsafe.Offsetof(s.due) + unsafe.Sizeof(s.due),
		"lastWrite": unsafe.Offsetof(s.lastWrite) + unsafe.Sizeof(s.lastWrite), "reg": unsafe.Offsetof(s.reg) + unsafe.Sizeof(s.reg),
		"obs": unsafe.Offsetof(s.obs) + unsafe.Sizeof(s.obs), "sending": unsafe.Offsetof(s.sending) + unsafe.Sizeof(s.sending),
		"unsent": unsafe.Offsetof(s.unsent) + unsafe.Sizeof(s.unsent), "wflush": unsafe.Offsetof(s.wflush) + unsafe.Sizeof(s.wflush),
	}
	for name, end := range hot {
		if end > 128 {
			t.Errorf("Stream.%s ends at byte %d, past the first 128", name, end)
		}
	}
}

// The count of messages waiting for a coalesced flush cannot overflow: the
// message that brings it to its limit is flushed at once, with the others.
func TestUnsentCountFlushesAtItsLimit(t *testing.T) {
	var reg Registry
	s, err := New(nopConn{context.Background()}, &Options{
		Registry: &reg,
		Flush:    FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Append(appendMsg)
	s.mu.Lock()
	s.unsent = math.MaxInt32 - 2 // as if that many empty messages were waiting
	s.unlock()
	s.Append(appendMsg) // one short of the limit: still waiting
	if got := reg.Stats().Messages; got != 0 {
		t.Fatalf("%d messages sent below the limit, want 0", got)
	}
	if _, err := s.Write([]byte("m")); err != nil {
		t.Fatal(err)
	}
	if got := reg.Stats().Messages; got != math.MaxInt32 {
		t.Errorf("%d messages sent at the limit, want %d", got, math.MaxInt32)
	}
}
