package streamtest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestRecorder(t *testing.T) {
	rec := streamtest.NewRecorder()
	rec.SetHeader("A", "1")
	if err := rec.Start(201); err != nil {
		t.Fatal(err)
	}
	rec.SetHeader("B", "late") // after Start: ignored, as on a real connection
	rec.Write([]byte("x"))
	if rec.Flushed() != "" || rec.Body() != "x" {
		t.Errorf("before Flush: flushed %q body %q", rec.Flushed(), rec.Body())
	}
	rec.Flush()
	rec.Write([]byte("y"))
	if got := rec.Flushed(); got != "x" {
		t.Errorf("Flushed = %q, want %q", got, "x")
	}
	if rec.Status() != 201 || rec.Header().Get("A") != "1" || rec.Header().Get("B") != "" || rec.Flushes() != 1 {
		t.Errorf("status %d headers %v flushes %d", rec.Status(), rec.Header(), rec.Flushes())
	}
	boom := errors.New("broken pipe")
	rec.FailWrites(boom)
	if _, err := rec.Write([]byte("z")); !errors.Is(err, boom) {
		t.Errorf("Write after FailWrites = %v", err)
	}
	if err := rec.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush after FailWrites = %v", err)
	}
	dl := time.Now().Add(time.Second)
	rec.SetWriteDeadline(dl)
	if !rec.Deadline().Equal(dl) {
		t.Errorf("Deadline = %v, want %v", rec.Deadline(), dl)
	}
	rec.Disconnect()
	select {
	case <-rec.Context().Done():
	default:
		t.Error("context not done after Disconnect")
	}
}

func TestRecorderWaitFlush(t *testing.T) {
	rec := streamtest.NewRecorder()
	s, err := core.New(rec, &core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Write([]byte("m"))
	if !rec.WaitFlush(5 * time.Second) {
		t.Fatal("WaitFlush missed the coalesced flush")
	}
	if rec.WaitFlush(10 * time.Millisecond) {
		t.Error("WaitFlush reported a flush that did not happen")
	}
}
