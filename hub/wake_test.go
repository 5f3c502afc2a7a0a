package hub_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
)

// The tests below lower the number of subscribers per wake goroutine from
// tens of thousands to a handful, so that small topics take the path of
// big ones: a publish shares the wake-ups with the topic's wakers.

// needProcs skips a test of the wakers on one processor, where the
// wake-ups are never shared, and returns the number of wakers a big topic
// runs.
func needProcs(t *testing.T) int {
	t.Helper()
	n := runtime.GOMAXPROCS(0)
	if n < 2 {
		t.Skip("one processor: the wake-ups are never shared")
	}
	return n - 1
}

// readInOrder reads publishers*each events from s, checking that each
// publisher's events ("<publisher> <n>") come in order, none missing.
func readInOrder(t *testing.T, ctx context.Context, s *hub.Subscription, publishers, each int) {
	next := make([]int, publishers)
	for range publishers * each {
		e, err := s.Next(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		var p, n int
		if _, err := fmt.Sscan(e.Data, &p, &n); err != nil || p >= publishers || n != next[p] {
			t.Errorf("got %q; want one of the publishers' next events %v", e.Data, next)
			return
		}
		next[p]++
	}
}

// publishAll publishes each events "<p> <n>" to topic from each of
// publishers goroutines at once, run by wg.
func publishAll(t *testing.T, ctx context.Context, wg *sync.WaitGroup, h *hub.Hub, topic string, publishers, each int) {
	for p := range publishers {
		wg.Go(func() {
			for n := range each {
				if _, err := h.Publish(ctx, topic, hub.Message{Data: fmt.Sprint(p, " ", n)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
}

func wantWakers(t *testing.T, h *hub.Hub, want int) {
	t.Helper()
	if got := h.Wakers(); got != want {
		t.Errorf("%d wakers running; want %d", got, want)
	}
}

// TestParallelWake runs topics whose subscribers are woken from several
// goroutines at once: readers get every event once and in order while
// publishers race, and readers that fall behind get the slow policy,
// counted once each.
func TestParallelWake(t *testing.T) {
	procs := needProcs(t)
	defer hub.SetParallelWake(2)()
	t.Run("every event in order", func(t *testing.T) {
		h := newHub(t, &hub.Options{QueueSize: 1024})
		everyEventInOrder(t, h)
		wantWakers(t, h, procs)
	})
	t.Run("several big topics at once", func(t *testing.T) {
		const topics, publishers, each, readers = 3, 2, 100, 12
		h := newHub(t, &hub.Options{QueueSize: 1024})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for i := range topics {
			topic := fmt.Sprint("wide", i)
			for range readers {
				s := hubtest.Subscribe(t, h, topic, "")
				wg.Go(func() { readInOrder(t, ctx, s, publishers, each) })
			}
		}
		for i := range topics {
			publishAll(t, ctx, &wg, h, fmt.Sprint("wide", i), publishers, each)
		}
		wg.Wait()
		wantWakers(t, h, topics*procs)
	})
	t.Run("slow readers dropped", func(t *testing.T) {
		const queue, readers, extra = 4, 64, 3
		obs := newRecHubObserver()
		var reg core.Registry
		h := newHub(t, &hub.Options{QueueSize: queue, Observer: obs, Registry: &reg})
		subs := make([]*hub.Subscription, readers)
		for i := range subs {
			subs[i] = hubtest.Subscribe(t, h, "wide", "")
		}
		hubtest.PublishN(t, h, "wide", 1, queue+extra)
		for _, s := range subs {
			if e := hubtest.Next(t, s); e.Resync != hub.ReasonDropped {
				t.Fatalf("first event %+v; want a resync for dropped events", e)
			}
			expectData(t, s, "e4", "e5", "e6", "e7")
		}
		c := obs.counts()
		if want := int64(readers * extra); c.dropped != want || reg.Stats().Dropped != want {
			t.Errorf("dropped %d, registry %d; want %d both", c.dropped, reg.Stats().Dropped, want)
		}
		wantWakers(t, h, procs)
	})
	t.Run("slow readers cut off", func(t *testing.T) {
		const queue, readers = 4, 64
		obs := newRecHubObserver()
		var reg core.Registry
		h := newHub(t, &hub.Options{QueueSize: queue, Policy: hub.Disconnect, Observer: obs, Registry: &reg})
		subs := make([]*hub.Subscription, readers)
		for i := range subs {
			subs[i] = hubtest.Subscribe(t, h, "wide", "")
		}
		// Past the first overflow, the readers are cut off already and
		// must not be counted again.
		hubtest.PublishN(t, h, "wide", 1, queue+5)
		for _, s := range subs {
			if _, err := s.Next(hubtest.Context(t)); !errors.Is(err, hub.ErrSlowSubscriber) {
				t.Fatalf("Next = %v; want ErrSlowSubscriber", err)
			}
		}
		c := obs.counts()
		if c.slow != readers || reg.Stats().SlowDisconnects != readers {
			t.Errorf("slow %d, registry %d; want %d both", c.slow, reg.Stats().SlowDisconnects, readers)
		}
	})
}

// everyEventInOrder has 3 goroutines publish 100 events each at once to
// the topic "wide" of h, read by 16 subscribers, each of which must get
// every event once and in each publisher's order.
func everyEventInOrder(t *testing.T, h *hub.Hub) {
	t.Helper()
	const publishers, each, readers = 3, 100, 16
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range readers {
		s := hubtest.Subscribe(t, h, "wide", "")
		wg.Go(func() { readInOrder(t, ctx, s, publishers, each) })
	}
	publishAll(t, ctx, &wg, h, "wide", publishers, each)
	wg.Wait()
}

// TestYieldingWake runs topics whose wake loops yield their processor after
// every reader they ready, as big topics' do every few dozen: woken by the
// publisher alone, or shared with the topic's wakers, readers still get
// every event once and in order while publishers race.
func TestYieldingWake(t *testing.T) {
	defer hub.SetYield(1, 1)()
	t.Run("publisher alone", func(t *testing.T) {
		everyEventInOrder(t, newHub(t, &hub.Options{QueueSize: 1024}))
	})
	t.Run("shared with wakers", func(t *testing.T) {
		procs := needProcs(t)
		defer hub.SetParallelWake(2)()
		h := newHub(t, &hub.Options{QueueSize: 1024})
		everyEventInOrder(t, h)
		wantWakers(t, h, procs)
	})
}

// TestWakersLifetime checks when a topic runs wakers: not while it is
// small, from the first publish once it is big, still while it shrinks to
// the threshold, not below it, and again once it grows back.
func TestWakersLifetime(t *testing.T) {
	procs := needProcs(t)
	defer hub.SetParallelWake(4)() // wakers from 8 subscribers, kept down to 4
	h := newHub(t, nil)
	var subs []*hub.Subscription
	add := func(n int) {
		for range n {
			subs = append(subs, hubtest.Subscribe(t, h, "wide", ""))
		}
	}
	drop := func(n int) {
		for _, s := range subs[len(subs)-n:] {
			s.Close()
		}
		subs = subs[:len(subs)-n]
	}
	step := 0
	publish := func(wakers int) {
		t.Helper()
		step++
		data := fmt.Sprint("e", step)
		hubtest.Publish(t, h, "wide", data)
		wantWakers(t, h, wakers)
		for _, s := range subs {
			expectData(t, s, data)
		}
	}

	add(7)
	publish(0) // 7 subscribers: one goroutine's worth
	add(1)
	wantWakers(t, h, 0) // started by a publish, not by Subscribe
	publish(procs)
	drop(4)
	wantWakers(t, h, procs)
	publish(procs) // 4 subscribers: woken by the publisher alone, wakers kept
	drop(1)
	wantWakers(t, h, 0) // 3: stopped by the Close that shrank the topic
	publish(0)
	add(5)
	publish(procs)
	drop(len(subs))
	wantWakers(t, h, 0)
}

// TestWakersClose closes a hub while publishers race to a big topic:
// Close ends the readers, the publishers stop with ErrClosed, and no
// waker is left, whatever the publish under way.
func TestWakersClose(t *testing.T) {
	needProcs(t)
	defer hub.SetParallelWake(2)()
	const readers, publishers = 64, 2
	h := hub.New(&hub.Options{QueueSize: 16})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range readers {
		s, err := h.Subscribe(ctx, "wide", "")
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer s.Close()
			for {
				_, err := s.Next(ctx)
				if err == nil {
					continue
				}
				if !errors.Is(err, hub.ErrClosed) {
					t.Errorf("reader ended with %v; want ErrClosed", err)
				}
				return
			}
		})
	}
	published := make(chan struct{}, publishers)
	for range publishers {
		wg.Go(func() {
			for n := 0; ; n++ {
				_, err := h.Publish(ctx, "wide", hub.Message{Data: "x"})
				if err != nil {
					if !errors.Is(err, hub.ErrClosed) {
						t.Errorf("publish ended with %v; want ErrClosed", err)
					}
					return
				}
				if n == 10 {
					published <- struct{}{}
				}
			}
		})
	}
	for range publishers {
		<-published // both publishers are under way
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	wantWakers(t, h, 0)
	wg.Wait()
	wantWakers(t, h, 0)
}

// TestWakersMoreProcessors raises GOMAXPROCS under a big topic, as the
// runtime does when a container's CPU limit grows: the next publish that
// can use more wakers replaces them, and a lower GOMAXPROCS keeps them.
func TestWakersMoreProcessors(t *testing.T) {
	needProcs(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	defer hub.SetParallelWake(2)()
	h := newHub(t, nil)
	subs := make([]*hub.Subscription, 8)
	for i := range subs {
		subs[i] = hubtest.Subscribe(t, h, "wide", "")
	}
	for i, c := range []struct{ procs, wakers int }{{2, 1}, {4, 3}, {3, 3}, {2, 3}} {
		runtime.GOMAXPROCS(c.procs)
		data := fmt.Sprint("e", i)
		hubtest.Publish(t, h, "wide", data)
		if got := h.Wakers(); got != c.wakers {
			t.Errorf("GOMAXPROCS %d: %d wakers; want %d", c.procs, got, c.wakers)
		}
		for _, s := range subs {
			expectData(t, s, data)
		}
	}
}
