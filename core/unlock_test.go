package core_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

var errEncode = errors.New("encoder refused the message")

// failWhileTimerFires returns an encoder that holds the stream's lock past
// the moment a timer fires (the timer then leaves its work pending for the
// lock holder) and fails.
func failWhileTimerFires(entered chan<- struct{}, hold time.Duration) func([]byte) ([]byte, error) {
	return func(dst []byte) ([]byte, error) {
		if entered != nil {
			close(entered)
		}
		time.Sleep(hold)
		return append(dst, "partial"...), errEncode
	}
}

// A coalesced flush that fires while an encoder fails is carried out when
// the failing call releases the lock, not lost until the next write.
func TestFailedAppendKeepsTimedFlush(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: 20 * time.Millisecond}})
	if _, err := s.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(failWhileTimerFires(nil, 150*time.Millisecond)); !errors.Is(err, errEncode) {
		t.Fatalf("Append = %v, want the encoder's error", err)
	}
	// The flush is due since the Append returned; allow a loaded machine
	// ample time before calling it lost.
	deadline := time.Now().Add(5 * time.Second)
	for rec.Flushes() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := rec.Flushed(); got != "a" {
		t.Fatalf("flushed %q, want %q: the timed flush that fired during the failed Append was lost", got, "a")
	}
}

// A shutdown farewell that comes while an encoder fails is still sent, and
// Shutdown returns once the stream has ended.
func TestFailedAppendKeepsShutdownFarewell(t *testing.T) {
	reg := &core.Registry{ShutdownSpread: time.Nanosecond}
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{
		Registry: reg,
		Farewell: func(dst []byte, _ error) []byte { return append(dst, "bye"...) },
	})
	entered := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- s.Append(failWhileTimerFires(entered, 150*time.Millisecond)) }()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := reg.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v: the farewell that came during the failed Append was lost", err)
	}
	if err := <-done; !errors.Is(err, errEncode) {
		t.Errorf("Append = %v, want the encoder's error", err)
	}
	if got := rec.Flushed(); got != "bye" {
		t.Errorf("flushed %q, want the farewell alone", got)
	}
	if !errors.Is(s.Err(), core.ErrShutdown) {
		t.Errorf("Err = %v, want ErrShutdown", s.Err())
	}
}

// Started, like every method that takes the lock, runs what a timer left.
func TestStartedKeepsTimedFlush(t *testing.T) {
	for range 20 {
		rec := streamtest.NewRecorder()
		s := mustNew(t, rec, &core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Millisecond}})
		s.Write([]byte("a"))
		deadline := time.Now().Add(5 * time.Second)
		for rec.Flushes() == 0 && time.Now().Before(deadline) {
			s.Started()
		}
		if rec.Flushed() != "a" {
			t.Fatalf("flushed %q, want %q", rec.Flushed(), "a")
		}
		s.Close()
	}
}

// Every concurrent Shutdown returns once the streams are gone.
func TestConcurrentShutdowns(t *testing.T) {
	reg := &core.Registry{ShutdownSpread: 50 * time.Millisecond}
	for range 3 {
		mustNew(t, streamtest.NewRecorder(), &core.Options{Registry: reg})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- reg.Shutdown(context.Background()) })
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("a concurrent Shutdown never returned")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Shutdown = %v, want nil", err)
		}
	}
	// A Shutdown after the drain returns at once too.
	if err := reg.Shutdown(context.Background()); err != nil {
		t.Errorf("late Shutdown = %v", err)
	}
}

// The stream's lock is released in exactly one place, Stream.unlock, which
// runs the work timers left pending: no exit can skip it.
func TestOneUnlockPath(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "stream.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Unlock" {
				return true
			}
			if x, ok := sel.X.(*ast.SelectorExpr); ok && x.Sel.Name == "mu" && fn.Name.Name != "unlock" {
				t.Errorf("%s: %s releases the stream's lock itself; call s.unlock()",
					fset.Position(sel.Pos()), fn.Name.Name)
			}
			return true
		})
	}
}
