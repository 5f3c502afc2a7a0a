package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
)

// testCtx is a context that ends with the test, or after 10 s.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newHub(t testing.TB, o *hub.Options) *hub.Hub {
	h := hub.New(o)
	t.Cleanup(func() { h.Close() })
	return h
}

func subscribe(t testing.TB, h *hub.Hub, topic, last string) *hub.Subscription {
	t.Helper()
	s, err := h.Subscribe(testCtx(t), topic, last)
	if err != nil {
		t.Fatalf("Subscribe(%q, %q): %v", topic, last, err)
	}
	t.Cleanup(s.Close)
	return s
}

func publish(t testing.TB, h *hub.Hub, topic, data string) string {
	t.Helper()
	id, err := h.Publish(testCtx(t), topic, hub.Message{Type: "note", Data: data})
	if err != nil {
		t.Fatalf("Publish(%q, %q): %v", topic, data, err)
	}
	return id
}

// publishN publishes events with data "e1", "e2", ... and returns their IDs.
func publishN(t testing.TB, h *hub.Hub, topic string, from, to int) []string {
	t.Helper()
	var ids []string
	for i := from; i <= to; i++ {
		ids = append(ids, publish(t, h, topic, fmt.Sprintf("e%d", i)))
	}
	return ids
}

func next(t testing.TB, s *hub.Subscription) hub.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return e
}

// expectNothing checks that no event is waiting. A short wait is enough:
// with the memory backend, an event published earlier is already there.
func expectNothing(t testing.TB, s *hub.Subscription) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if e, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next = %+v, %v; want nothing waiting", e, err)
	}
}

// expectData reads events and checks their data, in order, and that none is
// a resync.
func expectData(t testing.TB, s *hub.Subscription, want ...string) {
	t.Helper()
	for i, w := range want {
		e := next(t, s)
		if e.Resync != "" || e.Data != w {
			t.Fatalf("event %d = %+v; want data %q", i, e, w)
		}
	}
}

type resyncData struct {
	Reason string `json:"reason"`
	LastID string `json:"last_id"`
}

// expectResync reads a resync signal and checks its reason and last ID.
func expectResync(t testing.TB, s *hub.Subscription, reason hub.Reason, lastID string) {
	t.Helper()
	e := next(t, s)
	if e.Resync != reason || e.Type != hub.DefaultResyncEvent {
		t.Fatalf("event = %+v; want a resync signal with reason %q", e, reason)
	}
	var d resyncData
	if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
		t.Fatalf("resync data %q: %v", e.Data, err)
	}
	if d.Reason != string(reason) || d.LastID != lastID || e.ID != lastID {
		t.Fatalf("resync = id %q, data %+v; want reason %q, last_id and id %q", e.ID, d, reason, lastID)
	}
}

// fakeClock is an injectable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
