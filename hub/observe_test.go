package hub_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/sse"
)

// hubCounts is what a recording hub observer saw, per kind of event.
type hubCounts struct {
	published, subscribed, unsubscribed, dropped, slow, gaps int64
	resyncs                                                  map[hub.Reason]int64
	topics                                                   map[string]bool
}

// recHubObserver records what a hub.Observer is told; it is also a
// core.Observer that follows nothing, so that it can sit on a registry.
type recHubObserver struct {
	mu sync.Mutex
	c  hubCounts
}

func newRecHubObserver() *recHubObserver {
	return &recHubObserver{c: hubCounts{resyncs: map[hub.Reason]int64{}, topics: map[string]bool{}}}
}

func (o *recHubObserver) add(topic string, f func(c *hubCounts)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.c.topics[topic] = true
	f(&o.c)
}

func (o *recHubObserver) Published(t string)    { o.add(t, func(c *hubCounts) { c.published++ }) }
func (o *recHubObserver) Subscribed(t string)   { o.add(t, func(c *hubCounts) { c.subscribed++ }) }
func (o *recHubObserver) Unsubscribed(t string) { o.add(t, func(c *hubCounts) { c.unsubscribed++ }) }
func (o *recHubObserver) Dropped(t string, n int64) {
	o.add(t, func(c *hubCounts) { c.dropped += n })
}
func (o *recHubObserver) SlowDisconnected(t string, n int) {
	o.add(t, func(c *hubCounts) { c.slow += int64(n) })
}
func (o *recHubObserver) Resynced(t string, r hub.Reason) {
	o.add(t, func(c *hubCounts) { c.resyncs[r]++ })
}
func (o *recHubObserver) BackendGap(t string) { o.add(t, func(c *hubCounts) { c.gaps++ }) }

func (o *recHubObserver) StreamOpened(core.StreamInfo) core.StreamProbe { return nil }

func (o *recHubObserver) counts() hubCounts {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.c
	c.resyncs = map[hub.Reason]int64{}
	for k, v := range o.c.resyncs {
		c.resyncs[k] = v
	}
	return c
}

func TestObserverPublishSubscribe(t *testing.T) {
	obs := newRecHubObserver()
	h := newHub(t, &hub.Options{Observer: obs})
	a := hubtest.Subscribe(t, h, "news", "")
	b := hubtest.Subscribe(t, h, "news", "")
	hubtest.PublishN(t, h, "news", 1, 3)
	expectData(t, a, "e1", "e2", "e3")
	b.Close()
	b.Close() // idempotent: counted once
	if _, err := h.Publish(hubtest.Context(t), "bad/topic", hub.Message{}); !errors.Is(err, hub.ErrInvalidTopic) {
		t.Fatalf("Publish to a bad topic: %v", err)
	}
	// A resume from a malformed ID starts with a resync.
	m := hubtest.Subscribe(t, h, "news", "not-an-id")
	if e := hubtest.Next(t, m); e.Resync != hub.ReasonMalformed {
		t.Fatalf("first event %+v, want a malformed resync", e)
	}
	c := obs.counts()
	if c.published != 3 || c.subscribed != 3 || c.unsubscribed != 1 {
		t.Errorf("published %d, subscribed %d, unsubscribed %d; want 3, 3, 1", c.published, c.subscribed, c.unsubscribed)
	}
	if c.resyncs[hub.ReasonMalformed] != 1 || len(c.resyncs) != 1 {
		t.Errorf("resyncs %v, want one malformed", c.resyncs)
	}
	if len(c.topics) != 1 || !c.topics["news"] {
		t.Errorf("topics %v, want only news", c.topics)
	}
}

// Under DropOldest a subscriber that does not read loses its oldest events;
// they are counted, and the resync it then reads too.
func TestObserverDropOldest(t *testing.T) {
	obs := newRecHubObserver()
	var reg core.Registry
	h := newHub(t, &hub.Options{Observer: obs, QueueSize: 4, Registry: &reg})
	s := hubtest.Subscribe(t, h, "t", "")
	hubtest.PublishN(t, h, "t", 1, 10)
	if e := hubtest.Next(t, s); e.Resync != hub.ReasonDropped {
		t.Fatalf("first event %+v, want a dropped resync", e)
	}
	expectData(t, s, "e7", "e8", "e9", "e10")
	c := obs.counts()
	if c.dropped != 6 || c.dropped != reg.Stats().Dropped {
		t.Errorf("dropped %d, registry %d; want 6 both", c.dropped, reg.Stats().Dropped)
	}
	if c.resyncs[hub.ReasonDropped] != 1 || c.slow != 0 {
		t.Errorf("resyncs %v, slow %d; want one dropped resync, no slow", c.resyncs, c.slow)
	}
}

// Under Disconnect a subscriber that falls behind is cut off; ServeSSE
// ends its stream as a slow client's, which the stream's observer sees.
func TestObserverSlowDisconnect(t *testing.T) {
	obs := newRecHubObserver()
	ends := make(chan core.StreamEnd, 1)
	reg := &core.Registry{Observer: endObserver(func(e core.StreamEnd) { ends <- e })}
	h := newHub(t, &hub.Options{Observer: obs, QueueSize: 2, Policy: hub.Disconnect, Registry: reg})
	sub := hubtest.Subscribe(t, h, "t", "")
	hubtest.PublishN(t, h, "t", 1, 5)

	rec := streamtest.NewRecorder()
	s, err := sse.NewStream(rec, &sse.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ServeSSE(s, sub); !errors.Is(err, hub.ErrSlowSubscriber) {
		t.Fatalf("ServeSSE = %v, want ErrSlowSubscriber", err)
	}
	if !errors.Is(s.Err(), core.ErrSlowClient) {
		t.Errorf("stream Err = %v, want ErrSlowClient", s.Err())
	}
	select {
	case e := <-ends:
		if e.Reason != core.EndSlowClient || e.Messages != 1 {
			t.Errorf("stream end %+v, want slow_client after the one resync event", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream's end was not observed")
	}
	c := obs.counts()
	if c.slow != 1 || c.resyncs[hub.ReasonSlow] != 1 || c.unsubscribed != 1 {
		t.Errorf("slow %d, resyncs %v, unsubscribed %d; want 1, one slow, 1", c.slow, c.resyncs, c.unsubscribed)
	}
	if got := reg.Stats().SlowDisconnects; got != 1 {
		t.Errorf("registry slow disconnects %d, want 1 (counted once)", got)
	}
}

// endObserver follows every stream and reports its end.
type endObserver func(core.StreamEnd)

func (f endObserver) StreamOpened(core.StreamInfo) core.StreamProbe { return f }
func (endObserver) FirstEvent(time.Duration)                        {}
func (endObserver) Sent(int64, int64)                               {}
func (f endObserver) Ended(e core.StreamEnd)                        { f(e) }

// A hub with no Observer of its own uses its registry's, when that is one.
func TestObserverFromRegistry(t *testing.T) {
	obs := newRecHubObserver()
	h := newHub(t, &hub.Options{Registry: &core.Registry{Observer: obs}})
	hubtest.Publish(t, h, "t", "x")
	if c := obs.counts(); c.published != 1 {
		t.Errorf("published %d through the registry's observer, want 1", c.published)
	}
	// One that is not a hub.Observer is ignored.
	h2 := newHub(t, &hub.Options{Registry: &core.Registry{Observer: endObserver(func(core.StreamEnd) {})}})
	hubtest.Publish(t, h2, "t", "x")
}

// gapBackend is a memory backend whose live feed the test can break, as a
// lost connection to a shared store does.
type gapBackend struct {
	hub.Backend
	mu sync.Mutex
	ls []hub.Listener
}

func (b *gapBackend) Subscribe(ctx context.Context, topic string, l hub.Listener) (hub.Position, func(), error) {
	b.mu.Lock()
	b.ls = append(b.ls, l)
	b.mu.Unlock()
	return b.Backend.Subscribe(ctx, topic, l)
}

func (b *gapBackend) gap() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.ls {
		l.Gap(fmt.Errorf("connection lost"))
	}
}

func TestObserverBackendGap(t *testing.T) {
	mem := hub.NewMemoryBackend(nil)
	defer mem.Close()
	b := &gapBackend{Backend: mem}
	obs := newRecHubObserver()
	h := newHub(t, &hub.Options{Backend: b, Observer: obs})
	s := hubtest.Subscribe(t, h, "t", "")
	hubtest.PublishN(t, h, "t", 1, 2)
	b.gap()
	expectData(t, s, "e1", "e2")
	if c := obs.counts(); c.gaps != 1 {
		t.Errorf("gaps %d, want 1", c.gaps)
	}
}

// Publishers and subscribers at once: the observer's counts add up.
func TestObserverConcurrent(t *testing.T) {
	const publishers, each, subscribers = 4, 100, 8
	obs := newRecHubObserver()
	h := newHub(t, &hub.Options{Observer: obs, QueueSize: 8})
	var wg sync.WaitGroup
	for range subscribers {
		s := hubtest.Subscribe(t, h, "t", "")
		wg.Go(func() {
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			for {
				if _, err := s.Next(ctx); err != nil {
					return
				}
			}
		})
	}
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				if _, err := h.Publish(context.Background(), "t", hub.Message{Data: fmt.Sprint(p, i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	c := obs.counts()
	if c.published != publishers*each || c.subscribed != subscribers || c.unsubscribed != subscribers {
		t.Errorf("published %d, subscribed %d, unsubscribed %d; want %d, %d, %d",
			c.published, c.subscribed, c.unsubscribed, publishers*each, subscribers, subscribers)
	}
	if c.resyncs[hub.ReasonDropped] > 0 && c.dropped == 0 {
		t.Errorf("dropped resyncs %d without a dropped event", c.resyncs[hub.ReasonDropped])
	}
}
