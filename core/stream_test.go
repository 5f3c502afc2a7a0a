package core_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

func mustNew(t *testing.T, c core.Conn, o *core.Options) *core.Stream {
	t.Helper()
	s, err := core.New(c, o)
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFlushPolicies(t *testing.T) {
	tests := []struct {
		name        string
		policy      core.FlushPolicy
		msgs        []string
		wantFlushes int // right after the writes, before any timer
	}{
		{"every message", core.FlushPolicy{}, []string{"a", "b", "c"}, 3},
		{"coalesced under budget", core.FlushPolicy{MaxBytes: 100, MaxDelay: time.Hour}, []string{"a", "b", "c"}, 0},
		{"coalesced budget reached", core.FlushPolicy{MaxBytes: 4, MaxDelay: time.Hour}, []string{"ab", "cd", "e"}, 1},
		{"message larger than budget", core.FlushPolicy{MaxBytes: 4, MaxDelay: time.Hour}, []string{"abcdefgh"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := streamtest.NewRecorder()
			s := mustNew(t, rec, &core.Options{Flush: tt.policy})
			for _, m := range tt.msgs {
				if _, err := s.Write([]byte(m)); err != nil {
					t.Fatal(err)
				}
			}
			if got := rec.Flushes(); got != tt.wantFlushes {
				t.Errorf("flushes = %d, want %d", got, tt.wantFlushes)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got, want := rec.Flushed(), strings.Join(tt.msgs, ""); got != want {
				t.Errorf("flushed %q, want %q", got, want)
			}
		})
	}
}

func TestCoalesceDelay(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: 20 * time.Millisecond}})
	s.Write([]byte("x"))
	s.Write([]byte("y"))
	if rec.Flushes() != 0 {
		t.Fatalf("flushed before the delay")
	}
	if !rec.WaitFlush(5 * time.Second) {
		t.Fatal("the delay did not flush")
	}
	if got := rec.Flushed(); got != "xy" {
		t.Errorf("flushed %q, want %q", got, "xy")
	}
	if got := rec.Flushes(); got != 1 {
		t.Errorf("flushes = %d, want 1 for two messages", got)
	}
}

func TestAppend(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}})
	if err := s.Append(func(b []byte) ([]byte, error) { return append(b, "kept;"...), nil }); err != nil {
		t.Fatal(err)
	}
	bad := errors.New("cannot encode")
	err := s.Append(func(b []byte) ([]byte, error) { return append(b, "half-written"...), bad })
	if !errors.Is(err, bad) {
		t.Fatalf("Append error = %v, want %v", err, bad)
	}
	if err := s.Append(func(b []byte) ([]byte, error) { return nil, bad }); !errors.Is(err, bad) {
		t.Fatalf("Append error = %v, want %v", err, bad)
	}
	s.Append(func(b []byte) ([]byte, error) { return append(b, "next;"...), nil })
	if s.Err() != nil {
		t.Errorf("an encoding error ended the stream: %v", s.Err())
	}
	s.Close()
	if got := rec.Body(); got != "kept;next;" {
		t.Errorf("body %q, want the failed message left out", got)
	}
}

func TestHeadersAndLazyStart(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{Status: 202, ContentType: "application/x-test"})
	if s.Started() || rec.Status() != 0 {
		t.Fatal("the stream started before its first flush")
	}
	rec.SetHeader("X-Late", "still in time")
	s.Flush()
	if !s.Started() || rec.Status() != 202 {
		t.Fatalf("status = %d, started %v; want 202 after Flush", rec.Status(), s.Started())
	}
	h := rec.Header()
	for k, v := range map[string]string{"Content-Type": "application/x-test", "Cache-Control": "no-cache", "X-Accel-Buffering": "no", "X-Late": "still in time"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
}

func TestHeartbeat(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{
		Heartbeat:        10 * time.Millisecond,
		HeartbeatMessage: func(b []byte) []byte { return append(b, '.') },
	})
	s.Write([]byte("m"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasPrefix(rec.Flushed(), "m..") && time.Now().Before(deadline) {
		rec.WaitFlush(time.Second)
	}
	if got := rec.Flushed(); !strings.HasPrefix(got, "m..") {
		t.Errorf("flushed %q, want heartbeats after the message", got)
	}
}

// A busy stream sends no heartbeats.
func TestHeartbeatOnlyWhenIdle(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{
		Heartbeat:        250 * time.Millisecond,
		HeartbeatMessage: func(b []byte) []byte { return append(b, '.') },
	})
	// Writes far more often than the heartbeat interval, with room for a
	// loaded machine's scheduling delays.
	end := time.Now().Add(600 * time.Millisecond)
	for time.Now().Before(end) {
		s.Write([]byte("m"))
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if strings.Contains(rec.Body(), ".") {
		t.Errorf("heartbeat sent while messages flowed: %q", rec.Body())
	}
}

func TestWriteDeadlines(t *testing.T) {
	t.Run("default per-write deadline", func(t *testing.T) {
		rec := streamtest.NewRecorder()
		s := mustNew(t, rec, nil)
		before := time.Now()
		s.Write([]byte("m"))
		d := rec.Deadline()
		// Streams read a clock that may lag a few milliseconds.
		const slack = 50 * time.Millisecond
		if d.Before(before.Add(core.DefaultWriteTimeout-slack)) || d.After(time.Now().Add(core.DefaultWriteTimeout)) {
			t.Errorf("deadline %v, want about now+%v", d, core.DefaultWriteTimeout)
		}
	})
	t.Run("no bound clears the server's deadline", func(t *testing.T) {
		rec := streamtest.NewRecorder()
		rec.SetWriteDeadline(time.Now().Add(time.Second))
		s := mustNew(t, rec, &core.Options{WriteTimeout: -1})
		s.Write([]byte("m"))
		if d := rec.Deadline(); !d.IsZero() {
			t.Errorf("deadline %v, want cleared", d)
		}
	})
}

func TestWriteErrorEndsStream(t *testing.T) {
	var reg core.Registry
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{Registry: &reg})
	s.Write([]byte("ok"))
	boom := errors.New("connection reset by peer")
	rec.FailWrites(boom)
	_, err := s.Write([]byte("lost"))
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want it to wrap %v", err, boom)
	}
	select {
	case <-s.Context().Done():
	default:
		t.Fatal("stream not done after a failed write")
	}
	if !errors.Is(s.Err(), boom) {
		t.Errorf("Err = %v, want it to wrap %v", s.Err(), boom)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, core.ErrClosed) || !errors.Is(err, boom) {
		t.Errorf("later Write = %v, want ErrClosed wrapping the cause", err)
	}
	if got := reg.Stats(); got.Errors != 1 || got.Active != 0 {
		t.Errorf("stats %+v, want 1 error and no active stream", got)
	}
}

// A write that fails because the client already left is not an error.
func TestWriteAfterDisconnect(t *testing.T) {
	var reg core.Registry
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{Registry: &reg})
	rec.Disconnect()
	<-s.Context().Done()
	if !errors.Is(s.Err(), core.ErrClientGone) {
		t.Errorf("Err = %v, want ErrClientGone", s.Err())
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, core.ErrClosed) {
		t.Errorf("Write = %v, want ErrClosed", err)
	}
	waitStats(t, &reg, func(st core.Stats) bool { return st.Active == 0 })
	if got := reg.Stats().Errors; got != 0 {
		t.Errorf("Errors = %d, want 0 for a client that left", got)
	}
}

func waitStats(t *testing.T, reg *core.Registry, ok func(core.Stats) bool) core.Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := reg.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never reached the expected state: %+v", st)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestMaxLifetime(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{
		MaxLifetime:    30 * time.Millisecond,
		LifetimeJitter: 10 * time.Millisecond,
		Farewell: func(b []byte, cause error) []byte {
			return fmt.Appendf(b, "bye(%v)", errors.Is(cause, core.ErrLifetime))
		},
	})
	s.Write([]byte("hi;"))
	select {
	case <-s.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived its lifetime")
	}
	if !errors.Is(s.Err(), core.ErrLifetime) {
		t.Errorf("Err = %v, want ErrLifetime", s.Err())
	}
	if got := rec.Flushed(); got != "hi;bye(true)" {
		t.Errorf("flushed %q, want the farewell last", got)
	}
}

func TestCloseIdempotentAndConcurrent(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { s.Close() })
	}
	wg.Wait()
	if !errors.Is(s.Err(), core.ErrClosed) {
		t.Errorf("Err = %v, want ErrClosed", s.Err())
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close again = %v, want nil", err)
	}
	if rec.Status() != 200 {
		t.Errorf("a stream closed without messages sent status %d, want 200", rec.Status())
	}
}

func TestRegistryRefusesWithRecorder(t *testing.T) {
	reg := &core.Registry{Limit: 1}
	first := mustNew(t, streamtest.NewRecorder(), &core.Options{Registry: reg})
	rec := streamtest.NewRecorder()
	if _, err := core.New(rec, &core.Options{Registry: reg, ContentType: "text/event-stream"}); !errors.Is(err, core.ErrTooManyStreams) {
		t.Fatalf("New past the limit = %v, want ErrTooManyStreams", err)
	}
	if rec.Status() != 503 || rec.Header().Get("Retry-After") != "5" || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("refusal: status %d, headers %v", rec.Status(), rec.Header())
	}
	first.Close()
	second, err := core.New(streamtest.NewRecorder(), &core.Options{Registry: reg})
	if err != nil {
		t.Fatalf("New after a slot freed: %v", err)
	}
	second.Close()
	if got := reg.Stats().Total; got != 2 {
		t.Errorf("Total = %d, want 2 (refusals not counted)", got)
	}
}

func TestShutdownRefusesNewStreams(t *testing.T) {
	var reg core.Registry
	if err := reg.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := streamtest.NewRecorder()
	if _, err := core.New(rec, &core.Options{Registry: &reg}); !errors.Is(err, core.ErrShutdown) {
		t.Fatalf("New after Shutdown = %v, want ErrShutdown", err)
	}
	if rec.Status() != 503 {
		t.Errorf("status %d, want 503", rec.Status())
	}
}

// A stream whose writes are stuck cannot hold Shutdown past its context.
func TestShutdownContextExpires(t *testing.T) {
	reg := &core.Registry{ShutdownSpread: time.Millisecond}
	stuck := &blockingConn{Recorder: streamtest.NewRecorder(), entered: make(chan struct{}), release: make(chan struct{})}
	s := mustNew(t, stuck, &core.Options{Registry: reg, WriteTimeout: -1})
	go s.Write([]byte("blocks"))
	<-stuck.entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := reg.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	select {
	case <-s.Context().Done():
	default:
		t.Error("a stream outlived an expired shutdown")
	}
	if !errors.Is(s.Err(), core.ErrShutdown) {
		t.Errorf("Err = %v, want ErrShutdown", s.Err())
	}
	close(stuck.release)
}

// blockingConn blocks its first Write until release is closed.
type blockingConn struct {
	*streamtest.Recorder
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (b *blockingConn) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return b.Recorder.Write(p)
}

// A stuck stream's lock never delays another stream's heartbeat: timers
// never wait for a busy stream.
func TestStuckStreamDoesNotDelayOthers(t *testing.T) {
	stuck := &blockingConn{Recorder: streamtest.NewRecorder(), entered: make(chan struct{}), release: make(chan struct{})}
	hb := func(b []byte) []byte { return append(b, '.') }
	a := mustNew(t, stuck, &core.Options{WriteTimeout: -1, Heartbeat: 5 * time.Millisecond, HeartbeatMessage: hb, Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Millisecond}})
	go a.Write([]byte("blocks"))
	<-stuck.entered
	rec := streamtest.NewRecorder()
	mustNew(t, rec, &core.Options{Heartbeat: 5 * time.Millisecond, HeartbeatMessage: hb})
	if !rec.WaitFlush(5 * time.Second) {
		t.Error("the healthy stream's heartbeat did not come while another stream was stuck")
	}
	close(stuck.release)
}

func TestPreambleNotCounted(t *testing.T) {
	var reg core.Registry
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{Registry: &reg, Preamble: func(b []byte) []byte { return append(b, "retry: 1000\n\n"...) }})
	s.Flush()
	if got := rec.Flushed(); got != "retry: 1000\n\n" {
		t.Errorf("flushed %q, want the preamble with the headers", got)
	}
	s.Write([]byte("m"))
	s.Close()
	if st := reg.Stats(); st.Messages != 1 || st.Bytes != int64(len("retry: 1000\n\nm")) {
		t.Errorf("stats %+v, want 1 message and the preamble's bytes counted", st)
	}
}

// panicConn panics in one of its methods (in), as net/http's HTTP/2
// writer does once its handler has returned, from the moment arm is
// called.
type panicConn struct {
	*streamtest.Recorder
	in    string
	armed atomic.Bool
}

func (c *panicConn) arm() { c.armed.Store(true) }

func (c *panicConn) maybePanic(method string) {
	if c.armed.Load() && c.in == method {
		panic(method + " called after Handler finished")
	}
}

func (c *panicConn) Start(status int) error {
	c.maybePanic("Start")
	return c.Recorder.Start(status)
}

func (c *panicConn) Write(p []byte) (int, error) {
	c.maybePanic("Write")
	return c.Recorder.Write(p)
}

func (c *panicConn) Flush() error {
	c.maybePanic("Flush")
	return c.Recorder.Flush()
}

// panicWriteFlushConn is a panicConn that writes and flushes in one call,
// and may panic in that call ("WriteFlush").
type panicWriteFlushConn struct{ *panicConn }

func (c panicWriteFlushConn) WriteFlush(p []byte) error {
	c.maybePanic("WriteFlush")
	if _, err := c.Recorder.Write(p); err != nil {
		return err
	}
	return c.Recorder.Flush()
}

// A Conn that panics fails the stream instead of the server, whichever
// path reaches it: the methods that flush, which report the panic, and the
// timers, whose goroutines would otherwise take the process down. The lock
// is released every time: the stream answers at once afterwards.
func TestPanickingConnFailsTheStream(t *testing.T) {
	msg := func(b []byte) ([]byte, error) { return append(b, "m"...), nil }
	farewell := func(b []byte, _ error) []byte { return append(b, "bye"...) }
	tests := []struct {
		name string
		opts core.Options
		// act makes the stream reach the Conn; it returns the error of the
		// call that did, or waits for a timer and returns nil.
		act func(s *core.Stream, reg *core.Registry) error
	}{
		{"Write", core.Options{}, func(s *core.Stream, _ *core.Registry) error { _, err := s.Write([]byte("m")); return err }},
		{"Append", core.Options{}, func(s *core.Stream, _ *core.Registry) error { return s.Append(msg) }},
		{"Flush", core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}}, func(s *core.Stream, _ *core.Registry) error {
			s.Append(msg)
			return s.Flush()
		}},
		{"Close", core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}}, func(s *core.Stream, _ *core.Registry) error {
			s.Append(msg)
			return s.Close()
		}},
		{"CloseCause", core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}}, func(s *core.Stream, _ *core.Registry) error {
			s.Append(msg)
			return s.CloseCause(core.ErrSlowClient)
		}},
		{"CloseWith", core.Options{}, func(s *core.Stream, _ *core.Registry) error { return s.CloseWith(msg) }},
		{"heartbeat", core.Options{Heartbeat: 5 * time.Millisecond, HeartbeatMessage: func(b []byte) []byte { return append(b, "hb"...) }}, func(s *core.Stream, _ *core.Registry) error {
			return waitEnd(s)
		}},
		{"timed flush", core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Millisecond}}, func(s *core.Stream, reg *core.Registry) error {
			s.Append(msg)
			return waitEnd(s)
		}},
		{"farewell", core.Options{Farewell: farewell}, func(s *core.Stream, reg *core.Registry) error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			reg.Shutdown(ctx)
			return waitEnd(s)
		}},
	}
	for _, tt := range tests {
		for _, in := range []string{"Write", "Flush", "WriteFlush"} {
			t.Run(tt.name+"/in "+in, func(t *testing.T) {
				reg := &core.Registry{ShutdownSpread: time.Nanosecond}
				c := &panicConn{Recorder: streamtest.NewRecorder(), in: in}
				var conn core.Conn = c
				if in == "WriteFlush" {
					conn = panicWriteFlushConn{c}
				}
				o := tt.opts
				o.Registry = reg
				s := mustNew(t, conn, &o)
				// The headers go out first, so that the panic comes from
				// the message itself.
				if err := s.Flush(); err != nil {
					t.Fatal(err)
				}
				c.arm()
				err := tt.act(s, reg)
				if err != nil && !strings.Contains(err.Error(), "panicked") {
					t.Errorf("error = %v, want one reporting the panic", err)
				}
				if err := waitEnd(s); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(s.Err().Error(), "panicked") {
					t.Errorf("Err = %v, want the panic", s.Err())
				}
				// The lock is free: these return at once.
				if _, err := s.Write([]byte("late")); !errors.Is(err, core.ErrClosed) {
					t.Errorf("Write after the panic = %v, want ErrClosed", err)
				}
				if err := s.Close(); err != nil {
					t.Errorf("Close after the panic = %v, want nil", err)
				}
			})
		}
	}
	t.Run("in Start", func(t *testing.T) {
		c := &panicConn{Recorder: streamtest.NewRecorder(), in: "Start"}
		s := mustNew(t, c, nil)
		c.arm()
		if _, err := s.Write([]byte("m")); err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("Write = %v, want an error reporting the panic", err)
		}
		if s.Err() == nil {
			t.Error("stream still open after its connection panicked")
		}
	})
	t.Run("CloseWith keeps the encoder's error", func(t *testing.T) {
		c := &panicConn{Recorder: streamtest.NewRecorder(), in: "Write"}
		s := mustNew(t, c, nil)
		c.arm()
		err := s.CloseWith(func(b []byte) ([]byte, error) { return b, errEncode })
		if !errors.Is(err, errEncode) {
			t.Fatalf("CloseWith = %v, want the encoder's error", err)
		}
	})
}

// A panic in an encoder is the caller's: it goes on, with the stream's
// lock released and the stream open.
func TestPanickingEncoderKeepsTheStream(t *testing.T) {
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, nil)
	func() {
		defer func() {
			if r := recover(); r != "encoder bug" {
				t.Errorf("recovered %v, want the encoder's panic", r)
			}
		}()
		s.Append(func([]byte) ([]byte, error) { panic("encoder bug") })
		t.Error("Append returned after its encoder panicked")
	}()
	if err := s.Append(func(b []byte) ([]byte, error) { return append(b, "m"...), nil }); err != nil {
		t.Fatalf("Append after the encoder's panic = %v", err)
	}
	if got := rec.Flushed(); got != "m" {
		t.Errorf("flushed %q, want only the next message", got)
	}
}

// waitEnd waits for s to end, up to 10 seconds.
func waitEnd(s *core.Stream) error {
	select {
	case <-s.Context().Done():
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("the stream did not end")
	}
}

func TestCloseWith(t *testing.T) {
	t.Run("last message then closed", func(t *testing.T) {
		var reg core.Registry
		rec := streamtest.NewRecorder()
		s := mustNew(t, rec, &core.Options{Registry: &reg, Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}})
		s.Write([]byte("a;"))
		if err := s.CloseWith(func(b []byte) ([]byte, error) { return append(b, "end;"...), nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write([]byte("late;")); !errors.Is(err, core.ErrClosed) {
			t.Errorf("Write after CloseWith = %v, want ErrClosed", err)
		}
		called := false
		if err := s.CloseWith(func(b []byte) ([]byte, error) { called = true; return b, nil }); err != nil || called {
			t.Errorf("second CloseWith = %v (fn called: %v), want nil without calling fn", err, called)
		}
		if got := rec.Flushed(); got != "a;end;" {
			t.Errorf("flushed %q, want %q", got, "a;end;")
		}
		if st := reg.Stats(); st.Messages != 2 {
			t.Errorf("Messages = %d, want 2", st.Messages)
		}
	})
	t.Run("failed last message", func(t *testing.T) {
		rec := streamtest.NewRecorder()
		s := mustNew(t, rec, nil)
		s.Write([]byte("a;"))
		bad := errors.New("cannot encode")
		if err := s.CloseWith(func(b []byte) ([]byte, error) { return append(b, "half"...), bad }); !errors.Is(err, bad) {
			t.Errorf("CloseWith = %v, want %v", err, bad)
		}
		if got := rec.Flushed(); got != "a;" || s.Err() == nil {
			t.Errorf("flushed %q, Err %v; want %q and a closed stream", got, s.Err(), "a;")
		}
	})
}

func TestEmptyWriteIsNoMessage(t *testing.T) {
	var reg core.Registry
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{Registry: &reg})
	if n, err := s.Write(nil); n != 0 || err != nil {
		t.Errorf("Write(nil) = %d, %v", n, err)
	}
	s.Close()
	if st := reg.Stats(); st.Messages != 0 || rec.Flushes() != 1 {
		t.Errorf("Messages = %d, flushes = %d; want 0 and only Close's", st.Messages, rec.Flushes())
	}
}

// A client that leaves while New builds the stream, and a shutdown that
// begins meanwhile, must neither race nor leave the registry counting it.
func TestNewRacesDisconnectAndShutdown(t *testing.T) {
	for range 200 {
		reg := &core.Registry{ShutdownSpread: time.Millisecond}
		rec := streamtest.NewRecorder()
		var wg sync.WaitGroup
		wg.Go(rec.Disconnect)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := reg.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
		s, err := core.New(rec, &core.Options{
			Registry:         reg,
			Heartbeat:        time.Microsecond,
			HeartbeatMessage: func(b []byte) []byte { return append(b, '.') },
		})
		if err == nil {
			<-s.Context().Done()
			s.Close()
		}
		wg.Wait()
		if got := reg.Stats().Active; got != 0 {
			t.Fatalf("Active = %d after every stream ended", got)
		}
	}
}
