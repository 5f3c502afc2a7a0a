package hub_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
)

func newHub(t testing.TB, o *hub.Options) *hub.Hub {
	h := hub.New(o)
	t.Cleanup(func() { h.Close() })
	return h
}

// expectData reads events and checks their data, in order, and that none is
// a resync.
func expectData(t testing.TB, s *hub.Subscription, want ...string) {
	t.Helper()
	for i, w := range want {
		e := hubtest.Next(t, s)
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
	e := hubtest.Next(t, s)
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

// nothingWait is how long expectNothing waits for an event that must not
// come.
const nothingWait = 20 * time.Millisecond

func expectNothing(t testing.TB, s *hub.Subscription) {
	t.Helper()
	hubtest.ExpectNothing(t, s, nothingWait)
}
