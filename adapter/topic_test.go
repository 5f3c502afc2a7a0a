package adapterkit_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/internal/adapterkit"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

func TestOrdinary(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"Nil", nil, true},
		{"ClientGone", fmt.Errorf("x: %w", core.ErrClientGone), true},
		{"Shutdown", core.ErrShutdown, true},
		{"Lifetime", core.ErrLifetime, true},
		{"Closed", core.ErrClosed, true},
		{"WriteTimeout", core.ErrWriteTimeout, false},
		{"InvalidField", sse.ErrInvalidField, false},
		{"Other", errors.New("broken pipe"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := adapterkit.Ordinary(tc.err); got != tc.want {
				t.Errorf("Ordinary(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func openSSE(rec core.Conn, called *bool) func() (*sse.Stream, error) {
	return func() (*sse.Stream, error) {
		*called = true
		return sse.NewStream(rec, nil)
	}
}

func openNDJSON(rec core.Conn, called *bool) func() (*ndjson.Stream, error) {
	return func() (*ndjson.Stream, error) {
		*called = true
		return ndjson.NewStream(rec, nil)
	}
}

func seqOf[T any](err error, vs ...T) func() (iter.Seq[T], error) {
	return func() (iter.Seq[T], error) { return slices.Values(vs), err }
}

func TestSSESeq(t *testing.T) {
	refused := errors.New("no such user")
	cantOpen := errors.New("cannot open")
	broken := errors.New("broken pipe")
	type point struct{ X int }
	cases := []struct {
		name      string
		fn        func() (iter.Seq[any], error)
		openErr   error
		failWrite error // the Conn's writes fail once the stream is open
		wantStage adapterkit.Stage
		wantErr   error // matched with errors.Is; nil means no error
		wantBody  string
	}{
		{
			name:     "Values",
			fn:       seqOf[any](nil, sse.Event{ID: "1", Data: "a"}, &sse.Event{Type: "tick", Data: "b"}, point{7}),
			wantBody: "id: 1\ndata: a\n\nevent: tick\ndata: b\n\ndata: {\"X\":7}\n\n",
		},
		{name: "Refused", fn: seqOf[any](refused), wantStage: adapterkit.Refused, wantErr: refused},
		{
			name:      "NilSequence",
			fn:        func() (iter.Seq[any], error) { return nil, nil },
			wantStage: adapterkit.Refused,
		},
		{name: "NotOpened", fn: seqOf[any](nil, 1), openErr: cantOpen, wantStage: adapterkit.NotOpened, wantErr: cantOpen},
		{
			name:     "InvalidField",
			fn:       seqOf[any](nil, sse.Event{Data: "a"}, sse.Event{ID: "x\ny", Data: "b"}, sse.Event{Data: "c"}),
			wantErr:  sse.ErrInvalidField,
			wantBody: "data: a\n\n",
		},
		{
			// A value that cannot be marshalled is dropped, and the stream,
			// still open, ends the run without an error to report.
			name: "Unmarshallable",
			fn:   seqOf[any](nil, func() {}, "after"),
		},
		{
			name:      "WriteFails",
			fn:        seqOf[any](nil, "a"),
			failWrite: broken,
			wantErr:   broken,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := streamtest.NewRecorder()
			defer rec.Disconnect()
			called := false
			open := func() (*sse.Stream, error) {
				called = true
				if tc.openErr != nil {
					return nil, tc.openErr
				}
				s, err := sse.NewStream(rec, nil)
				if tc.failWrite != nil {
					rec.FailWrites(tc.failWrite)
				}
				return s, err
			}
			out := adapterkit.SSESeq(tc.fn, open)
			if out.Stage != tc.wantStage {
				t.Errorf("Stage = %v, want %v", out.Stage, tc.wantStage)
			}
			if !errors.Is(out.Err, tc.wantErr) || (tc.wantErr == nil && out.Err != nil) {
				t.Errorf("Err = %v, want %v", out.Err, tc.wantErr)
			}
			if wantOpen := tc.wantStage != adapterkit.Refused; called != wantOpen {
				t.Errorf("open called = %v, want %v", called, wantOpen)
			}
			if tc.wantBody != "" {
				if got := rec.Flushed(); got != tc.wantBody {
					t.Errorf("body = %q, want %q", got, tc.wantBody)
				}
			}
		})
	}
}

// TestSSESeqStreamEnds: the sequence is not asked for more once the stream
// has ended, and an ordinary end is nothing to report.
func TestSSESeqStreamEnds(t *testing.T) {
	rec := streamtest.NewRecorder()
	var s *sse.Stream
	open := func() (*sse.Stream, error) {
		var err error
		s, err = sse.NewStream(rec, nil)
		return s, err
	}
	asked := 0
	seq := func(yield func(int) bool) {
		for i := 1; ; i++ {
			asked++
			if i == 3 {
				rec.Disconnect()
				<-s.Done()
			}
			if !yield(i) {
				return
			}
		}
	}
	out := adapterkit.SSESeq(func() (iter.Seq[int], error) { return seq, nil }, open)
	if out.Stage != adapterkit.Served || out.Err != nil {
		t.Errorf("Outcome = %+v, want Served with no error", out)
	}
	if asked != 3 {
		t.Errorf("sequence asked for %d values, want 3: none after the stream ended", asked)
	}
	if got, want := rec.Flushed(), "data: 1\n\ndata: 2\n\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}

func TestNDJSON(t *testing.T) {
	refused := errors.New("no such user")
	cases := []struct {
		name      string
		run       func(open func() (*ndjson.Stream, error)) adapterkit.Outcome
		wantStage adapterkit.Stage
		wantErr   error
		wantBody  string
	}{
		{
			name: "Seq",
			run: func(open func() (*ndjson.Stream, error)) adapterkit.Outcome {
				return adapterkit.NDJSONSeq(seqOf(nil, 1, 2), open)
			},
			wantBody: "1\n2\n",
		},
		{
			name: "SeqRefused",
			run: func(open func() (*ndjson.Stream, error)) adapterkit.Outcome {
				return adapterkit.NDJSONSeq(seqOf[int](refused), open)
			},
			wantStage: adapterkit.Refused,
			wantErr:   refused,
		},
		{
			name: "Chan",
			run: func(open func() (*ndjson.Stream, error)) adapterkit.Outcome {
				ch := make(chan int, 2)
				ch <- 1
				ch <- 2
				close(ch)
				return adapterkit.NDJSONChan(func() (<-chan int, error) { return ch, nil }, open)
			},
			wantBody: "1\n2\n",
		},
		{
			name: "NilChan",
			run: func(open func() (*ndjson.Stream, error)) adapterkit.Outcome {
				return adapterkit.NDJSONChan(func() (<-chan int, error) { return nil, nil }, open)
			},
			wantStage: adapterkit.Refused,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := streamtest.NewRecorder()
			defer rec.Disconnect()
			var called bool
			out := tc.run(openNDJSON(rec, &called))
			if out.Stage != tc.wantStage {
				t.Errorf("Stage = %v, want %v", out.Stage, tc.wantStage)
			}
			if !errors.Is(out.Err, tc.wantErr) || (tc.wantErr == nil && out.Err != nil) {
				t.Errorf("Err = %v, want %v", out.Err, tc.wantErr)
			}
			if got := rec.Flushed(); got != tc.wantBody {
				t.Errorf("body = %q, want %q", got, tc.wantBody)
			}
			if tc.wantStage == adapterkit.Served {
				if got := rec.Status(); got != 200 {
					t.Errorf("status = %d, want 200", got)
				}
			}
		})
	}
}

// TestNDJSONChanClientLeaves: a channel that stops sending cannot hold the
// run once the client has left, and that is an ordinary end.
func TestNDJSONChanClientLeaves(t *testing.T) {
	rec := streamtest.NewRecorder()
	ch := make(chan int)
	var called bool
	open := func() (*ndjson.Stream, error) {
		s, err := openNDJSON(rec, &called)()
		rec.Disconnect()
		return s, err
	}
	out := adapterkit.NDJSONChan(func() (<-chan int, error) { return ch, nil }, open)
	if out.Stage != adapterkit.Served || out.Err != nil {
		t.Errorf("Outcome = %+v, want Served with no error", out)
	}
}

func TestServeTopic(t *testing.T) {
	cantOpen := errors.New("cannot open")
	t.Run("BadTopic", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		called := false
		out := adapterkit.ServeTopic(context.Background(), h, "no/slashes", "", func() (*sse.Stream, error) {
			called = true
			return nil, cantOpen
		})
		if out.Stage != adapterkit.BadTopic || out.Err != nil || called {
			t.Errorf("Outcome = %+v, open called = %v; want BadTopic, no error, open not called", out, called)
		}
	})

	t.Run("Unavailable", func(t *testing.T) {
		h := hub.New(nil)
		h.Close()
		called := false
		out := adapterkit.ServeTopic(context.Background(), h, "news", "", func() (*sse.Stream, error) {
			called = true
			return nil, cantOpen
		})
		if out.Stage != adapterkit.Unavailable || !errors.Is(out.Err, hub.ErrClosed) || called {
			t.Errorf("Outcome = %+v, open called = %v; want Unavailable with hub.ErrClosed, open not called", out, called)
		}
	})

	t.Run("NotOpened", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		out := adapterkit.ServeTopic(context.Background(), h, "news", "", func() (*sse.Stream, error) { return nil, cantOpen })
		if out.Stage != adapterkit.NotOpened || !errors.Is(out.Err, cantOpen) {
			t.Errorf("Outcome = %+v, want NotOpened with %v", out, cantOpen)
		}
	})

	t.Run("ClientLeaves", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		rec := streamtest.NewRecorder()
		var called bool
		done := make(chan adapterkit.Outcome)
		go func() { done <- adapterkit.ServeTopic(context.Background(), h, "news", "", openSSE(rec, &called)) }()
		if !rec.WaitFlush(5 * time.Second) {
			t.Fatal("no flush within 5s: the stream did not start")
		}
		rec.Disconnect()
		out := <-done
		if out.Stage != adapterkit.Served || out.Err != nil {
			t.Errorf("Outcome = %+v, want Served with no error: a client leaving is an ordinary end", out)
		}
	})

	t.Run("WriteFails", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		broken := errors.New("broken pipe")
		rec := streamtest.NewRecorder()
		defer rec.Disconnect()
		open := func() (*sse.Stream, error) {
			// A heartbeat is the first write after the headers.
			s, err := sse.NewStream(rec, &sse.Options{Heartbeat: 10 * time.Millisecond})
			rec.FailWrites(broken)
			return s, err
		}
		out := adapterkit.ServeTopic(context.Background(), h, "news", "", open)
		if out.Stage != adapterkit.Served || !errors.Is(out.Err, broken) {
			t.Errorf("Outcome = %+v, want Served with %v: a broken connection is not an ordinary end", out, broken)
		}
	})
}
