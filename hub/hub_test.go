package hub_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/sse"
)

func TestPublishSubscribe(t *testing.T) {
	h := newHub(t, nil)
	a := hubtest.Subscribe(t, h, "news", "")
	b := hubtest.Subscribe(t, h, "news", "")
	other := hubtest.Subscribe(t, h, "sport", "")
	id := hubtest.Publish(t, h, "news", "hello")
	for _, s := range []*hub.Subscription{a, b} {
		e := hubtest.Next(t, s)
		if e.ID != id || e.Type != "note" || e.Data != "hello" || e.Resync != "" {
			t.Errorf("got %+v; want id %q, type note, data hello", e, id)
		}
		if s.LastID() != id {
			t.Errorf("LastID() = %q; want %q", s.LastID(), id)
		}
	}
	expectNothing(t, other)
}

func TestPublishIDs(t *testing.T) {
	h := newHub(t, nil)
	ids := hubtest.PublishN(t, h, "t", 1, 3)
	first, ok := hub.ParseID(ids[0])
	if !ok || first.Offset != 1 {
		t.Fatalf("first ID %q; want offset 1 of some epoch", ids[0])
	}
	for i, id := range ids {
		p, ok := hub.ParseID(id)
		if !ok || p.Epoch != first.Epoch || p.Offset != uint64(i+1) {
			t.Errorf("ID %d = %q; want %s-%d", i, id, first.Epoch, i+1)
		}
	}
	// Another topic has its own epoch and offsets.
	p, _ := hub.ParseID(hubtest.Publish(t, h, "u", "x"))
	if p.Offset != 1 || p.Epoch == first.Epoch {
		t.Errorf("other topic's first ID %+v; want offset 1 in a new epoch", p)
	}
	// A new hub (a restarted process) starts a new epoch.
	p, _ = hub.ParseID(hubtest.Publish(t, newHub(t, nil), "t", "x"))
	if p.Epoch == first.Epoch {
		t.Errorf("a new hub reused epoch %q", p.Epoch)
	}
}

func TestPublishErrors(t *testing.T) {
	h := newHub(t, nil)
	tests := []struct {
		name  string
		topic string
		msg   hub.Message
		want  error
	}{
		{"bad topic", "a/b", hub.Message{Data: "x"}, hub.ErrInvalidTopic},
		{"empty topic", "", hub.Message{Data: "x"}, hub.ErrInvalidTopic},
		{"type with LF", "t", hub.Message{Type: "a\nb"}, sse.ErrInvalidField},
		{"type with CR", "t", hub.Message{Type: "a\rb"}, sse.ErrInvalidField},
		{"type with NUL", "t", hub.Message{Type: "a\x00"}, sse.ErrInvalidField},
		{"type not UTF-8", "t", hub.Message{Type: "\xff"}, sse.ErrInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := h.Publish(context.Background(), tt.topic, tt.msg)
			if !errors.Is(err, tt.want) || id != "" {
				t.Errorf("Publish = %q, %v; want an error matching %v", id, err, tt.want)
			}
		})
	}
	if _, err := h.Subscribe(context.Background(), "a b", ""); !errors.Is(err, hub.ErrInvalidTopic) {
		t.Errorf("Subscribe(bad topic) error = %v; want ErrInvalidTopic", err)
	}
	// Data may hold anything; line breaks are split by the encoder.
	s := hubtest.Subscribe(t, h, "t", "")
	hubtest.Publish(t, h, "t", "line1\r\nline2\rline3\n")
	expectData(t, s, "line1\r\nline2\rline3\n")
}

func TestResume(t *testing.T) {
	h := newHub(t, &hub.Options{History: hub.History{MaxEvents: 5}})
	ids := hubtest.PublishN(t, h, "t", 1, 10) // history keeps e6..e10
	tests := []struct {
		name string
		last string
		want []string
	}{
		{"after the newest", ids[9], nil},
		{"after one", ids[8], []string{"e10"}},
		{"middle", ids[6], []string{"e8", "e9", "e10"}},
		{"after the event before the oldest kept", ids[4], []string{"e6", "e7", "e8", "e9", "e10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hubtest.Subscribe(t, h, "t", tt.last)
			expectData(t, s, tt.want...)
			expectNothing(t, s)
		})
	}
	t.Run("then live", func(t *testing.T) {
		s := hubtest.Subscribe(t, h, "t", ids[7])
		expectData(t, s, "e9", "e10")
		hubtest.Publish(t, h, "t", "e11")
		expectData(t, s, "e11")
	})
}

func TestResumeLongHistory(t *testing.T) {
	// More events than one page of history reads.
	h := newHub(t, &hub.Options{History: hub.History{MaxEvents: 2000}, QueueSize: 10})
	ids := hubtest.PublishN(t, h, "t", 1, 700)
	s := hubtest.Subscribe(t, h, "t", ids[0])
	var want []string
	for i := 2; i <= 700; i++ {
		want = append(want, fmt.Sprintf("e%d", i))
	}
	expectData(t, s, want...)
	expectNothing(t, s)
}

func TestResync(t *testing.T) {
	clock := newClock()
	h := newHub(t, &hub.Options{
		History: hub.History{MaxEvents: 5, MaxAge: time.Minute},
		Now:     clock.Now,
	})
	ids := hubtest.PublishN(t, h, "t", 1, 10)
	head, _ := hub.ParseID(ids[9])
	tests := []struct {
		name   string
		last   string
		reason hub.Reason
	}{
		{"evicted", ids[3], hub.ReasonEvicted},
		{"first evicted", ids[0], hub.ReasonEvicted},
		{"offset zero", head.Epoch + "-0", hub.ReasonEvicted},
		{"unknown offset", head.Epoch + "-11", hub.ReasonUnknown},
		{"far future", head.Epoch + "-18446744073709551615", hub.ReasonUnknown},
		{"stale epoch", "zzzzzzzzzzzzz-7", hub.ReasonEpoch},
		{"malformed", "42", hub.ReasonMalformed},
		{"malformed with dash", "a-b-c", hub.ReasonMalformed},
		{"long garbage", strings.Repeat("x", 4096), hub.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hubtest.Subscribe(t, h, "t", tt.last)
			expectResync(t, s, tt.reason, ids[9])
			expectNothing(t, s)
			if s.LastID() != ids[9] {
				t.Errorf("LastID() = %q; want %q", s.LastID(), ids[9])
			}
		})
	}
	t.Run("then live", func(t *testing.T) {
		s := hubtest.Subscribe(t, h, "t", "nonsense")
		expectResync(t, s, hub.ReasonMalformed, ids[9])
		id := hubtest.Publish(t, h, "t", "e11")
		expectData(t, s, "e11")
		ids = append(ids, id)
	})
	t.Run("aged out", func(t *testing.T) {
		clock.Advance(2 * time.Minute)
		s := hubtest.Subscribe(t, h, "t", ids[9])
		expectResync(t, s, hub.ReasonEvicted, ids[10])
	})
}

func TestEviction(t *testing.T) {
	tests := []struct {
		name    string
		history hub.History
		age     []time.Duration // clock advance before each of the 6 events
		resume  int             // resume after event resume+1 ...
		want    []string        // ... and get these, or a resync when nil
	}{
		{"by count kept", hub.History{MaxEvents: 3}, nil, 2, []string{"e4", "e5", "e6"}},
		{"by count evicted", hub.History{MaxEvents: 3}, nil, 1, nil},
		{"by bytes kept", hub.History{MaxBytes: 3 * int64(len("note")+len("e1"))}, nil, 2, []string{"e4", "e5", "e6"}},
		{"by bytes evicted", hub.History{MaxBytes: 3 * int64(len("note")+len("e1"))}, nil, 1, nil},
		{"by age kept", hub.History{MaxAge: time.Minute},
			[]time.Duration{0, 0, 0, time.Hour, 0, 0}, 2, []string{"e4", "e5", "e6"}},
		{"by age evicted", hub.History{MaxAge: time.Minute},
			[]time.Duration{0, 0, 0, time.Hour, 0, 0}, 1, nil},
		{"age boundary kept", hub.History{MaxAge: time.Minute},
			[]time.Duration{0, 0, 0, time.Minute, 0, 0}, 1, []string{"e3", "e4", "e5", "e6"}},
		{"no history", hub.History{MaxEvents: -1}, nil, 4, nil},
		{"no history, up to date", hub.History{MaxEvents: -1}, nil, 5, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			h := newHub(t, &hub.Options{History: tt.history, Now: clock.Now})
			var ids []string
			for i := range 6 {
				if tt.age != nil {
					clock.Advance(tt.age[i])
				}
				ids = append(ids, hubtest.Publish(t, h, "t", fmt.Sprintf("e%d", i+1)))
			}
			s := hubtest.Subscribe(t, h, "t", ids[tt.resume])
			if tt.want == nil {
				expectResync(t, s, hub.ReasonEvicted, ids[5])
			} else {
				expectData(t, s, tt.want...)
			}
			expectNothing(t, s)
		})
	}
}

func TestUpToDateEmptyTopic(t *testing.T) {
	h := newHub(t, nil)
	s := hubtest.Subscribe(t, h, "t", "")
	// A subscriber that joined an empty topic and got nothing resumes from
	// "<epoch>-0" without a resync, as long as the topic was kept.
	last := s.LastID()
	if p, ok := hub.ParseID(last); !ok || p.Offset != 0 {
		t.Fatalf("LastID() of a fresh subscription = %q; want <epoch>-0", last)
	}
	hubtest.PublishN(t, h, "t", 1, 2)
	s2 := hubtest.Subscribe(t, h, "t", last)
	expectData(t, s2, "e1", "e2")
}

func TestForgottenEmptyTopic(t *testing.T) {
	// The memory backend forgets a topic with no events and no
	// subscribers; its next event starts a new epoch, and a client holding
	// an ID of the old one is told to resync rather than resumed wrongly.
	h := newHub(t, nil)
	s := hubtest.Subscribe(t, h, "t", "")
	last := s.LastID()
	s.Close()
	id := hubtest.Publish(t, h, "t", "e1")
	s2 := hubtest.Subscribe(t, h, "t", last)
	expectResync(t, s2, hub.ReasonEpoch, id)
}

func TestSlowSubscriber(t *testing.T) {
	const queue, total = 4, 100
	tests := []struct {
		name   string
		policy hub.SlowPolicy
	}{
		{"drop oldest", hub.DropOldest},
		{"disconnect", hub.Disconnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reg core.Registry
			h := newHub(t, &hub.Options{QueueSize: queue, Policy: tt.policy, Registry: &reg})
			stuck := hubtest.Subscribe(t, h, "t", "")
			fast := hubtest.Subscribe(t, h, "t", "")
			var ids []string
			for i := 1; i <= total; i++ {
				ids = append(ids, hubtest.Publish(t, h, "t", fmt.Sprintf("e%d", i)))
				expectData(t, fast, fmt.Sprintf("e%d", i))
			}
			expectNothing(t, fast)

			st := reg.Stats()
			switch tt.policy {
			case hub.DropOldest:
				if st.Dropped != total-queue || st.SlowDisconnects != 0 {
					t.Errorf("stats = %+v; want %d dropped, no disconnect", st, total-queue)
				}
				// The stuck one gets a resync, then the newest QueueSize.
				expectResync(t, stuck, hub.ReasonDropped, ids[total-queue-1])
				for i := total - queue + 1; i <= total; i++ {
					expectData(t, stuck, fmt.Sprintf("e%d", i))
				}
				expectNothing(t, stuck)
				hubtest.Publish(t, h, "t", "after")
				expectData(t, stuck, "after")
			case hub.Disconnect:
				if st.SlowDisconnects != 1 || st.Dropped != 0 {
					t.Errorf("stats = %+v; want 1 slow disconnect, nothing dropped", st)
				}
				for range 2 {
					if _, err := stuck.Next(context.Background()); !errors.Is(err, hub.ErrSlowSubscriber) {
						t.Fatalf("Next on the slow one = %v; want ErrSlowSubscriber", err)
					}
				}
				// Where it stopped is still in the history: it resumes.
				again := hubtest.Subscribe(t, h, "t", stuck.LastID())
				expectData(t, again, "e1", "e2")
			}
		})
	}
}

func TestSlowSubscriberPartlyRead(t *testing.T) {
	var reg core.Registry
	h := newHub(t, &hub.Options{QueueSize: 3, Registry: &reg})
	s := hubtest.Subscribe(t, h, "t", "")
	hubtest.PublishN(t, h, "t", 1, 2)
	expectData(t, s, "e1")
	ids := hubtest.PublishN(t, h, "t", 3, 6) // e2..e6 unread: e2 and e3 dropped
	if got := reg.Stats().Dropped; got != 2 {
		t.Errorf("dropped = %d; want 2", got)
	}
	expectResync(t, s, hub.ReasonDropped, ids[0])
	expectData(t, s, "e4", "e5", "e6")
}

func TestDropDuringReplay(t *testing.T) {
	t.Run("nothing lost", func(t *testing.T) {
		// The live queue overflows while the subscriber has not read
		// its history yet, but the history has everything it lacks:
		// no resync.
		h := newHub(t, &hub.Options{QueueSize: 2, History: hub.History{MaxEvents: 100}})
		ids := hubtest.PublishN(t, h, "t", 1, 3)
		s := hubtest.Subscribe(t, h, "t", ids[0])
		hubtest.PublishN(t, h, "t", 4, 9)
		expectData(t, s, "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9")
		expectNothing(t, s)
	})
	t.Run("both lost", func(t *testing.T) {
		// The history lost what it had to replay, and the live queue
		// overflowed too: one resync for each, each naming where the
		// following events start.
		h := newHub(t, &hub.Options{QueueSize: 2, History: hub.History{MaxEvents: 3}})
		ids := hubtest.PublishN(t, h, "t", 1, 3)
		s := hubtest.Subscribe(t, h, "t", ids[0])
		ids = append(ids, hubtest.PublishN(t, h, "t", 4, 9)...)
		expectResync(t, s, hub.ReasonEvicted, ids[2])
		expectResync(t, s, hub.ReasonDropped, ids[6])
		expectData(t, s, "e8", "e9")
		expectNothing(t, s)
	})
}

func TestClose(t *testing.T) {
	h := hub.New(nil)
	s, err := h.Subscribe(context.Background(), "t", "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background())
		done <- err
	}()
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; !errors.Is(err, hub.ErrClosed) {
		t.Errorf("blocked Next after Close = %v; want ErrClosed", err)
	}
	if _, err := h.Publish(context.Background(), "t", hub.Message{}); !errors.Is(err, hub.ErrClosed) {
		t.Errorf("Publish after Close = %v; want ErrClosed", err)
	}
	if _, err := h.Subscribe(context.Background(), "t", ""); !errors.Is(err, hub.ErrClosed) {
		t.Errorf("Subscribe after Close = %v; want ErrClosed", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
	s.Close()
	s.Close()
}

func TestSubscriptionClose(t *testing.T) {
	h := newHub(t, nil)
	first := hubtest.Publish(t, h, "t", "x")
	s := hubtest.Subscribe(t, h, "t", "")
	done := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background())
		done <- err
	}()
	s.Close()
	if err := <-done; !errors.Is(err, hub.ErrClosed) {
		t.Errorf("blocked Next after Close = %v; want ErrClosed", err)
	}
	// The topic lives on for new subscribers, with its history.
	s2 := hubtest.Subscribe(t, h, "t", first)
	hubtest.Publish(t, h, "t", "y")
	expectData(t, s2, "y")
}

func TestNextContext(t *testing.T) {
	h := newHub(t, nil)
	s := hubtest.Subscribe(t, h, "t", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next(cancelled) = %v; want context.Canceled", err)
	}
	hubtest.Publish(t, h, "t", "still")
	expectData(t, s, "still")
}

func TestNewPanics(t *testing.T) {
	tests := []struct {
		name string
		opts hub.Options
	}{
		{"resync type with LF", hub.Options{ResyncEvent: "a\nb"}},
		{"unknown policy", hub.Options{Policy: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "hub: ") {
					t.Errorf("New panicked with %v; want a hub: message", r)
				}
			}()
			hub.New(&tt.opts)
		})
	}
}

func TestCustomResyncEvent(t *testing.T) {
	h := newHub(t, &hub.Options{ResyncEvent: "gap"})
	s := hubtest.Subscribe(t, h, "t", "bad")
	if e := hubtest.Next(t, s); e.Type != "gap" || e.Resync != hub.ReasonMalformed {
		t.Errorf("got %+v; want a resync of type gap", e)
	}
}
