package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// recObserver records what an Observer is told, for the tests.
type recObserver struct {
	mu      sync.Mutex
	opened  []core.StreamInfo
	probes  []*recProbe
	ignore  bool // StreamOpened returns nil
	endedCh chan core.StreamEnd
}

func newRecObserver() *recObserver { return &recObserver{endedCh: make(chan core.StreamEnd, 16)} }

func (o *recObserver) StreamOpened(info core.StreamInfo) core.StreamProbe {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opened = append(o.opened, info)
	if o.ignore {
		return nil
	}
	p := &recProbe{o: o}
	o.probes = append(o.probes, p)
	return p
}

type recProbe struct {
	o        *recObserver
	mu       sync.Mutex
	firsts   int
	messages int64
	bytes    int64
	ends     int
}

func (p *recProbe) FirstEvent(after time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if after < 0 {
		panic("negative time to first event")
	}
	p.firsts++
}

func (p *recProbe) Sent(messages, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.messages += messages
	p.bytes += bytes
}

func (p *recProbe) Ended(end core.StreamEnd) {
	p.mu.Lock()
	p.ends++
	p.mu.Unlock()
	p.o.endedCh <- end
}

// waitEnd returns the next StreamEnd reported.
func (o *recObserver) waitEnd(t *testing.T) core.StreamEnd {
	t.Helper()
	select {
	case e := <-o.endedCh:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no stream end was observed")
		return core.StreamEnd{}
	}
}

// deadlineConn fails its flush as a write past its deadline does.
type deadlineConn struct{ *streamtest.Recorder }

func (deadlineConn) Flush() error { return fmt.Errorf("write tcp: %w", os.ErrDeadlineExceeded) }

func TestObserverEndReasons(t *testing.T) {
	tests := []struct {
		name string
		conn func() core.Conn
		run  func(t *testing.T, s *core.Stream, c core.Conn, reg *core.Registry)
		opts core.Options
		want core.EndReason
		msgs int64
	}{
		{
			name: "closed",
			run: func(t *testing.T, s *core.Stream, _ core.Conn, _ *core.Registry) {
				s.Write([]byte("one"))
				s.Write([]byte("two"))
				s.Close()
			},
			want: core.EndClosed, msgs: 2,
		},
		{
			name: "client gone",
			run: func(t *testing.T, s *core.Stream, c core.Conn, _ *core.Registry) {
				s.Write([]byte("one"))
				c.(*streamtest.Recorder).Disconnect()
			},
			want: core.EndClientGone, msgs: 1,
		},
		{
			name: "write timeout",
			conn: func() core.Conn { return deadlineConn{streamtest.NewRecorder()} },
			run: func(t *testing.T, s *core.Stream, _ core.Conn, _ *core.Registry) {
				s.Write([]byte("one"))
			},
			want: core.EndWriteTimeout,
		},
		{
			name: "error",
			run: func(t *testing.T, s *core.Stream, c core.Conn, _ *core.Registry) {
				s.Write([]byte("one"))
				c.(*streamtest.Recorder).FailWrites(errors.New("connection reset"))
				s.Write([]byte("two"))
			},
			want: core.EndError, msgs: 1,
		},
		{
			name: "slow client",
			run: func(t *testing.T, s *core.Stream, _ core.Conn, _ *core.Registry) {
				s.Write([]byte("one"))
				s.CloseCause(fmt.Errorf("%w: 300 events behind", core.ErrSlowClient))
			},
			want: core.EndSlowClient, msgs: 1,
		},
		{
			name: "shutdown",
			run: func(t *testing.T, s *core.Stream, _ core.Conn, reg *core.Registry) {
				s.Write([]byte("one"))
				if err := reg.Shutdown(context.Background()); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			},
			want: core.EndShutdown, msgs: 1,
		},
		{
			name: "lifetime",
			opts: core.Options{MaxLifetime: time.Millisecond},
			run:  func(t *testing.T, s *core.Stream, _ core.Conn, _ *core.Registry) { <-s.Context().Done() },
			want: core.EndLifetime,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := newRecObserver()
			reg := &core.Registry{Observer: obs, ShutdownSpread: time.Millisecond}
			var c core.Conn = streamtest.NewRecorder()
			if tt.conn != nil {
				c = tt.conn()
			}
			o := tt.opts
			o.Registry, o.Kind = reg, "test"
			s := mustNew(t, c, &o)
			tt.run(t, s, c, reg)
			end := obs.waitEnd(t)
			if end.Reason != tt.want {
				t.Errorf("reason %q (err %v), want %q", end.Reason, end.Err, tt.want)
			}
			if core.ReasonOf(s.Err()) != tt.want {
				t.Errorf("ReasonOf(Err() = %v) = %q, want %q", s.Err(), core.ReasonOf(s.Err()), tt.want)
			}
			if end.Messages != tt.msgs {
				t.Errorf("messages %d, want %d", end.Messages, tt.msgs)
			}
			if end.Duration <= 0 {
				t.Errorf("duration %v, want > 0", end.Duration)
			}
			s.Close()
			if len(obs.opened) != 1 || obs.opened[0].Kind != "test" {
				t.Errorf("opened %+v, want one stream of kind test", obs.opened)
			}
			p := obs.probes[0]
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.ends != 1 {
				t.Errorf("Ended called %d times, want 1", p.ends)
			}
			if wantFirst := min(tt.msgs, 1); int64(p.firsts) != wantFirst {
				t.Errorf("FirstEvent called %d times, want %d", p.firsts, wantFirst)
			}
			if p.messages != end.Messages || p.bytes != end.Bytes {
				t.Errorf("Sent summed to %d messages, %d bytes; the end says %d, %d", p.messages, p.bytes, end.Messages, end.Bytes)
			}
		})
	}
}

// Heartbeats and a preamble are bytes but no event: the first event is the
// first message.
func TestObserverFirstEventIgnoresHeartbeats(t *testing.T) {
	obs := newRecObserver()
	reg := &core.Registry{Observer: obs}
	rec := streamtest.NewRecorder()
	s := mustNew(t, rec, &core.Options{
		Registry:         reg,
		Preamble:         func(b []byte) []byte { return append(b, "pre;"...) },
		Heartbeat:        time.Millisecond,
		HeartbeatMessage: func(b []byte) []byte { return append(b, "hb;"...) },
	})
	s.Flush()
	if !rec.WaitFlush(10 * time.Second) {
		t.Fatal("no heartbeat was flushed")
	}
	p := obs.probes[0]
	p.mu.Lock()
	firsts, msgs := p.firsts, p.messages
	p.mu.Unlock()
	if firsts != 0 || msgs != 0 {
		t.Fatalf("before any message: %d first events, %d messages; want 0, 0", firsts, msgs)
	}
	s.Write([]byte("event;"))
	s.Write([]byte("event;"))
	s.Close()
	end := obs.waitEnd(t)
	if end.Messages != 2 || end.Bytes != int64(len(rec.Body())) {
		t.Errorf("end %+v; want 2 messages and the %d bytes of the body", end, len(rec.Body()))
	}
	if p.firsts != 1 {
		t.Errorf("FirstEvent called %d times, want 1", p.firsts)
	}
}

// An observer may decline to follow a stream, and a refused stream is not
// opened at all.
func TestObserverDeclinesAndRefusals(t *testing.T) {
	obs := newRecObserver()
	obs.ignore = true
	reg := &core.Registry{Observer: obs, Limit: 1}
	s := mustNew(t, streamtest.NewRecorder(), &core.Options{Registry: reg})
	if _, err := core.New(streamtest.NewRecorder(), &core.Options{Registry: reg}); !errors.Is(err, core.ErrTooManyStreams) {
		t.Fatalf("second stream: %v, want ErrTooManyStreams", err)
	}
	s.Write([]byte("x"))
	s.Close()
	if len(obs.opened) != 1 {
		t.Errorf("StreamOpened called %d times, want 1 (the refused stream is not opened)", len(obs.opened))
	}
	select {
	case e := <-obs.endedCh:
		t.Errorf("Ended %+v for a stream the observer declined", e)
	default:
	}
}

// A net/http ServeMux route reaches the observer as the pattern, and the
// request's context as the stream's.
func TestObserverRouteFromServeMux(t *testing.T) {
	obs := newRecObserver()
	reg := &core.Registry{Observer: obs}
	type ctxKey struct{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /streams/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "request")))
		if err != nil {
			t.Error(err)
			return
		}
		s, err := core.New(c, &core.Options{Registry: reg, Kind: "chunked"})
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := s.Write([]byte("hello")); err != nil {
			t.Errorf("Write: %v", err)
		}
		s.Close()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/streams/42")
	if err != nil {
		t.Fatal(err)
	}
	// Read to the end, so that the handler has closed the stream before
	// the client leaves.
	io.ReadAll(resp.Body)
	resp.Body.Close()
	end := obs.waitEnd(t)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	info := obs.opened[0]
	if info.Route != "GET /streams/{id}" || info.Kind != "chunked" {
		t.Errorf("route %q kind %q; want the pattern and chunked", info.Route, info.Kind)
	}
	if info.Context.Value(ctxKey{}) != "request" {
		t.Error("StreamInfo.Context is not the request's context")
	}
	if info.Start.IsZero() {
		t.Error("StreamInfo.Start is zero")
	}
	if end.Reason != core.EndClosed || end.Messages != 1 || end.Bytes != 5 {
		t.Errorf("end %+v, want closed with 1 message of 5 bytes", end)
	}
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		err  error
		want core.EndReason
	}{
		{core.ErrClosed, core.EndClosed},
		{fmt.Errorf("%w: %w", core.ErrClientGone, context.Canceled), core.EndClientGone},
		{fmt.Errorf("%w: %w", core.ErrWriteTimeout, os.ErrDeadlineExceeded), core.EndWriteTimeout},
		{fmt.Errorf("%w: %w", core.ErrShutdown, context.DeadlineExceeded), core.EndShutdown},
		{core.ErrLifetime, core.EndLifetime},
		{fmt.Errorf("%w: behind", core.ErrSlowClient), core.EndSlowClient},
		{errors.New("core: write: broken pipe"), core.EndError},
		{nil, core.EndError},
	}
	for _, tt := range tests {
		if got := core.ReasonOf(tt.err); got != tt.want {
			t.Errorf("ReasonOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// Streams opened, written and ended from many goroutines at once, some by
// their clients: every stream is opened once and ended once, and the sums
// agree with the registry's.
func TestObserverConcurrent(t *testing.T) {
	const streams, writes = 40, 50
	obs := newRecObserver()
	obs.endedCh = make(chan core.StreamEnd, streams)
	reg := &core.Registry{Observer: obs}
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			rec := streamtest.NewRecorder()
			s, err := core.New(rec, &core.Options{Registry: reg, Heartbeat: time.Millisecond,
				HeartbeatMessage: func(b []byte) []byte { return append(b, ':') }})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			var inner sync.WaitGroup
			for range 2 {
				inner.Go(func() {
					for range writes {
						s.Write([]byte("event"))
					}
				})
			}
			if i%2 == 0 {
				rec.Disconnect()
			}
			inner.Wait()
		})
	}
	wg.Wait()
	var msgs, bytes int64
	for range streams {
		e := obs.waitEnd(t)
		msgs += e.Messages
		bytes += e.Bytes
	}
	st := reg.Stats()
	if len(obs.opened) != streams || st.Active != 0 {
		t.Fatalf("%d opened, %d active; want %d, 0", len(obs.opened), st.Active, streams)
	}
	// Sent never follows Ended: the ends' sums are exactly the probes'.
	var pm, pb int64
	for _, p := range obs.probes {
		p.mu.Lock()
		pm += p.messages
		pb += p.bytes
		if p.ends != 1 {
			t.Errorf("a stream ended %d times", p.ends)
		}
		p.mu.Unlock()
	}
	if pm != st.Messages || pb != st.Bytes {
		t.Errorf("probes saw %d messages, %d bytes; registry %d, %d", pm, pb, st.Messages, st.Bytes)
	}
	if msgs != pm || bytes != pb {
		t.Errorf("ends sum to %d messages, %d bytes; the probes saw %d, %d", msgs, bytes, pm, pb)
	}
}
