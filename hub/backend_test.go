package hub_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
)

// lossyBackend wraps a MemoryBackend and loses the live notifications that
// drop selects, as a store whose Pub/Sub connection drops messages would. It
// can also fail Appends and Reads, and hold Reads until released.
type lossyBackend struct {
	*hub.MemoryBackend

	mu        sync.Mutex
	drop      func(hub.Record) bool
	failRead  error
	failWrite error
	holdRead  chan struct{} // when set, Read waits for it to close
	listeners []hub.Listener
}

func (b *lossyBackend) Subscribe(ctx context.Context, topic string, l hub.Listener) (hub.Position, func(), error) {
	b.mu.Lock()
	b.listeners = append(b.listeners, l)
	b.mu.Unlock()
	return b.MemoryBackend.Subscribe(ctx, topic, lossyListener{b, l})
}

func (b *lossyBackend) Append(ctx context.Context, topic string, m hub.Message) (hub.Position, error) {
	b.mu.Lock()
	err := b.failWrite
	b.mu.Unlock()
	if err != nil {
		return hub.Position{}, err
	}
	return b.MemoryBackend.Append(ctx, topic, m)
}

func (b *lossyBackend) Read(ctx context.Context, topic string, after hub.Position, limit int) (hub.Batch, error) {
	b.mu.Lock()
	err, hold := b.failRead, b.holdRead
	b.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return hub.Batch{}, ctx.Err()
		}
	}
	if err != nil {
		return hub.Batch{}, err
	}
	return b.MemoryBackend.Read(ctx, topic, after, limit)
}

// gap calls Gap on every listener, as a backend does after reconnecting.
func (b *lossyBackend) gap() {
	b.mu.Lock()
	ls := b.listeners
	b.mu.Unlock()
	for _, l := range ls {
		l.Gap(errors.New("reconnected"))
	}
}

func (b *lossyBackend) set(f func(b *lossyBackend)) {
	b.mu.Lock()
	f(b)
	b.mu.Unlock()
}

type lossyListener struct {
	b *lossyBackend
	l hub.Listener
}

func (l lossyListener) Event(r hub.Record) {
	l.b.mu.Lock()
	drop := l.b.drop
	l.b.mu.Unlock()
	if drop == nil || !drop(r) {
		l.l.Event(r)
	}
}

func (l lossyListener) Gap(err error) { l.l.Gap(err) }

func newLossy(t *testing.T, h hub.History) (*lossyBackend, *hub.Hub) {
	b := &lossyBackend{MemoryBackend: hub.NewMemoryBackend(&hub.MemoryOptions{History: h})}
	t.Cleanup(func() { b.Close() })
	return b, newHub(t, &hub.Options{Backend: b})
}

func dropOffsets(offs ...uint64) func(hub.Record) bool {
	return func(r hub.Record) bool {
		for _, o := range offs {
			if r.Pos.Offset == o {
				return true
			}
		}
		return false
	}
}

func TestFeedHoleFilled(t *testing.T) {
	b, h := newLossy(t, hub.History{})
	s := hubtest.Subscribe(t, h, "t", "")
	b.set(func(b *lossyBackend) { b.drop = dropOffsets(2, 3) })
	hubtest.PublishN(t, h, "t", 1, 5)
	// e2 and e3 never came live; the hub read them when e4 showed the hole.
	expectData(t, s, "e1", "e2", "e3", "e4", "e5")
	expectNothing(t, s)
}

func TestFeedHoleEvicted(t *testing.T) {
	b, h := newLossy(t, hub.History{MaxEvents: 2})
	s := hubtest.Subscribe(t, h, "t", "")
	b.set(func(b *lossyBackend) { b.drop = dropOffsets(2, 3, 4, 5) })
	ids := hubtest.PublishN(t, h, "t", 1, 6)
	expectData(t, s, "e1")
	expectResync(t, s, hub.ReasonEvicted, ids[4])
	expectData(t, s, "e6")
}

func TestFeedHoleUnreadable(t *testing.T) {
	b, h := newLossy(t, hub.History{})
	s := hubtest.Subscribe(t, h, "t", "")
	b.set(func(b *lossyBackend) {
		b.drop = dropOffsets(2)
		b.failRead = errors.New("store down")
	})
	ids := hubtest.PublishN(t, h, "t", 1, 3)
	expectData(t, s, "e1")
	expectResync(t, s, hub.ReasonUnavailable, ids[1])
	expectData(t, s, "e3")
}

func TestFeedGap(t *testing.T) {
	b, h := newLossy(t, hub.History{})
	s := hubtest.Subscribe(t, h, "t", "")
	b.set(func(b *lossyBackend) { b.drop = dropOffsets(2, 3) })
	hubtest.PublishN(t, h, "t", 1, 3)
	expectData(t, s, "e1")
	expectNothing(t, s)
	// The backend reconnects and says events may be missing: the hub
	// reads them without waiting for the next event.
	b.gap()
	expectData(t, s, "e2", "e3")
}

func TestFeedGapWhileDown(t *testing.T) {
	b, h := newLossy(t, hub.History{})
	s := hubtest.Subscribe(t, h, "t", "")
	b.set(func(b *lossyBackend) {
		b.drop = dropOffsets(2)
		b.failRead = errors.New("store down")
	})
	hubtest.PublishN(t, h, "t", 1, 2)
	b.gap() // cannot read yet: nothing to tell
	expectData(t, s, "e1")
	expectNothing(t, s)
	// Back up: the next event shows the hole, which is filled.
	b.set(func(b *lossyBackend) { b.failRead = nil })
	hubtest.PublishN(t, h, "t", 3, 3)
	expectData(t, s, "e2", "e3")
}

func TestPublishBackendDown(t *testing.T) {
	b, h := newLossy(t, hub.History{})
	down := errors.New("store down")
	b.set(func(b *lossyBackend) { b.failWrite = down })
	if _, err := h.Publish(context.Background(), "t", hub.Message{Data: "x"}); !errors.Is(err, down) {
		t.Errorf("Publish = %v; want the backend's error", err)
	}
}

func TestResumeBackendDown(t *testing.T) {
	b, h := newLossy(t, hub.History{})
	ids := hubtest.PublishN(t, h, "t", 1, 3)
	b.set(func(b *lossyBackend) { b.failRead = errors.New("store down") })
	s := hubtest.Subscribe(t, h, "t", ids[0])
	expectResync(t, s, hub.ReasonUnavailable, ids[2])
	b.set(func(b *lossyBackend) { b.failRead = nil })
	hubtest.PublishN(t, h, "t", 4, 4)
	expectData(t, s, "e4")
}

// earlyBackend delivers an event while Subscribe is still setting up, before
// it returns the head, as a Redis backend can.
type earlyBackend struct{ *hub.MemoryBackend }

func (b earlyBackend) Subscribe(ctx context.Context, topic string, l hub.Listener) (hub.Position, func(), error) {
	head, stop, err := b.MemoryBackend.Subscribe(ctx, topic, l)
	if err != nil {
		return head, stop, err
	}
	// Append calls l before Subscribe has returned.
	if _, err := b.MemoryBackend.Append(ctx, topic, hub.Message{Type: "note", Data: "early"}); err != nil {
		stop()
		return head, nil, err
	}
	return head, stop, nil
}

func TestEventBeforeSubscribeReturns(t *testing.T) {
	mb := hub.NewMemoryBackend(nil)
	t.Cleanup(func() { mb.Close() })
	first, err := mb.Append(context.Background(), "t", hub.Message{Type: "note", Data: "first"})
	if err != nil {
		t.Fatal(err)
	}
	h := newHub(t, &hub.Options{Backend: earlyBackend{mb}})
	// The event appended while the topic's feed starts is delivered once,
	// between the one the client had and the next.
	s := hubtest.Subscribe(t, h, "t", first.String())
	expectData(t, s, "early")
	hubtest.Publish(t, h, "t", "late")
	expectData(t, s, "late")
	expectNothing(t, s)
}

// TestFeedNewEpoch feeds an event of a new epoch, as a backend whose store
// was flushed does: the hub tells its subscribers to resync.
func TestFeedNewEpoch(t *testing.T) {
	b, h := newLossy(t, hub.History{})
	s := hubtest.Subscribe(t, h, "t", "")
	hubtest.PublishN(t, h, "t", 1, 1)
	expectData(t, s, "e1")
	// Forge a record of another epoch, as after a flushed store.
	b.mu.Lock()
	ls := b.listeners
	b.mu.Unlock()
	fresh := hub.Position{Epoch: hub.NewEpoch(), Offset: 1}
	for _, l := range ls {
		l.Event(hub.Record{Pos: fresh, Type: "note", Data: "new"})
	}
	expectResync(t, s, hub.ReasonEpoch, fresh.Epoch+"-0")
	expectData(t, s, "new")
}

// gateBackend fails or holds Subscribe on demand, as a store that is down or
// slow to answer.
type gateBackend struct {
	*hub.MemoryBackend
	mu      sync.Mutex
	fail    error
	entered chan struct{} // when set, closed when Subscribe starts, which ...
	release chan struct{} // ... then waits for this
}

func (b *gateBackend) Subscribe(ctx context.Context, topic string, l hub.Listener) (hub.Position, func(), error) {
	b.mu.Lock()
	fail, entered, release := b.fail, b.entered, b.release
	b.entered = nil
	b.mu.Unlock()
	if entered != nil {
		close(entered)
		<-release
	}
	if fail != nil {
		return hub.Position{}, nil, fail
	}
	return b.MemoryBackend.Subscribe(ctx, topic, l)
}

func TestSubscribeBackendDown(t *testing.T) {
	b := &gateBackend{MemoryBackend: hub.NewMemoryBackend(nil)}
	defer b.Close()
	h := newHub(t, &hub.Options{Backend: b})
	down := errors.New("store down")
	b.mu.Lock()
	b.fail = down
	b.mu.Unlock()
	if _, err := h.Subscribe(context.Background(), "t", ""); !errors.Is(err, down) {
		t.Fatalf("Subscribe = %v; want the backend's error", err)
	}
	// The failure is not remembered: the next subscriber tries again.
	b.mu.Lock()
	b.fail = nil
	b.mu.Unlock()
	s := hubtest.Subscribe(t, h, "t", "")
	hubtest.Publish(t, h, "t", "x")
	expectData(t, s, "x")
}

func TestSubscribeWhileTopicStarts(t *testing.T) {
	b := &gateBackend{
		MemoryBackend: hub.NewMemoryBackend(nil),
		entered:       make(chan struct{}),
		release:       make(chan struct{}),
	}
	defer b.Close()
	entered := b.entered
	h := newHub(t, &hub.Options{Backend: b})

	first := make(chan *hub.Subscription, 1)
	go func() {
		s, err := h.Subscribe(context.Background(), "t", "")
		if err != nil {
			t.Error(err)
		}
		first <- s
	}()
	<-entered // the first subscriber is starting the topic's feed

	// A second one gives up waiting when its context ends...
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Subscribe(ctx, "t", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Subscribe while the topic starts, cancelled = %v; want context.Canceled", err)
	}
	// ... a third waits for the start and shares the feed.
	third := make(chan *hub.Subscription, 1)
	go func() {
		s, err := h.Subscribe(context.Background(), "t", "")
		if err != nil {
			t.Error(err)
		}
		third <- s
	}()
	close(b.release)
	s1, s3 := <-first, <-third
	if s1 == nil || s3 == nil {
		t.FailNow()
	}
	defer s1.Close()
	defer s3.Close()
	hubtest.Publish(t, h, "t", "x")
	expectData(t, s1, "x")
	expectData(t, s3, "x")
}

func TestSlowPolicyString(t *testing.T) {
	tests := []struct {
		p    hub.SlowPolicy
		want string
	}{
		{hub.DropOldest, "drop-oldest"},
		{hub.Disconnect, "disconnect"},
		{hub.SlowPolicy(9), "SlowPolicy(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q; want %q", got, tt.want)
			}
		})
	}
}
