package hub_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
)

// TestConcurrentPublishSubscribe runs publishers and subscribers on one topic
// at once. Subscribers join at random moments, fresh or resuming from an ID
// published earlier, and reconnect from their last ID every few events. Each
// must see every event after its starting point exactly once, in offset
// order, with the data its publisher gave it.
func TestConcurrentPublishSubscribe(t *testing.T) {
	const publishers, each, subscribers = 4, 200, 12
	const total = publishers * each
	h := newHub(t, &hub.Options{
		History:   hub.History{MaxEvents: 2 * total},
		QueueSize: 2 * total, // nobody may be dropped here
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var (
		mu        sync.Mutex
		published = map[uint64]string{} // offset -> data
		ids       []string
	)
	var epoch string
	var subs sync.WaitGroup
	recorded := make(chan struct{}) // closed once every publisher has recorded its offsets
	errs := make(chan error, subscribers+publishers)

	runSubscriber := func(n int, from string) {
		defer subs.Done()
		s, err := h.Subscribe(ctx, "t", from)
		if err != nil {
			errs <- err
			return
		}
		start, _ := hub.ParseID(s.LastID())
		if from != "" {
			start, _ = hub.ParseID(from)
		}
		got := map[uint64]string{}
		want := start.Offset + 1
		for want <= total {
			e, err := s.Next(ctx)
			if err != nil {
				errs <- fmt.Errorf("subscriber %d: Next at %d: %w", n, want, err)
				s.Close()
				return
			}
			p, ok := hub.ParseID(e.ID)
			if e.Resync != "" || !ok || p.Offset != want || p.Epoch != start.Epoch {
				errs <- fmt.Errorf("subscriber %d from %q: got %+v; want offset %d", n, from, e, want)
				s.Close()
				return
			}
			got[p.Offset] = e.Data
			want++
			if want%37 == 0 {
				// Reconnect, as a browser would, from the last ID.
				last := s.LastID()
				s.Close()
				if s, err = h.Subscribe(ctx, "t", last); err != nil {
					errs <- err
					return
				}
			}
		}
		s.Close()
		// A publisher records an offset after Publish returns, which may
		// be after this subscriber read it: compare once all have.
		<-recorded
		mu.Lock()
		defer mu.Unlock()
		for off, data := range got {
			if published[off] != data {
				errs <- fmt.Errorf("subscriber %d: offset %d has %q; published %q", n, off, data, published[off])
				return
			}
		}
	}

	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			var prev hub.Position
			for i := range each {
				data := fmt.Sprintf("p%d-%d", p, i)
				id, err := h.Publish(ctx, "t", hub.Message{Type: "n", Data: data})
				if err != nil {
					errs <- err
					return
				}
				pos, _ := hub.ParseID(id)
				if prev.Offset >= pos.Offset {
					errs <- fmt.Errorf("publisher %d: offset %d after %d", p, pos.Offset, prev.Offset)
				}
				prev = pos
				mu.Lock()
				published[pos.Offset] = data
				ids = append(ids, id)
				epoch = pos.Epoch
				// Publisher 0 starts the subscribers along the way.
				var from string
				start := p == 0 && i%(each/subscribers) == 0 && i/(each/subscribers) < subscribers
				if start && i%2 == 1 && len(ids) > 0 {
					from = ids[rand.IntN(len(ids))]
				}
				mu.Unlock()
				if start {
					subs.Add(1)
					go runSubscriber(i, from)
				}
			}
		}()
	}
	pubs.Wait()
	close(recorded)
	subs.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(published) != total {
		t.Errorf("%d distinct offsets published; want %d", len(published), total)
	}
	for off := uint64(1); off <= total; off++ {
		if _, ok := published[off]; !ok {
			t.Errorf("offset %d of epoch %s never returned by Publish", off, epoch)
		}
	}
}

// TestConcurrentTopics subscribes and unsubscribes on many topics while
// publishing to them, which starts and stops the topics' backend
// subscriptions over and over.
func TestConcurrentTopics(t *testing.T) {
	h := newHub(t, nil)
	ctx := hubtest.Context(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				topic := fmt.Sprintf("t%d", (g+i)%5)
				s, err := h.Subscribe(ctx, topic, "")
				if err != nil {
					t.Error(err)
					return
				}
				id, err := h.Publish(ctx, topic, hub.Message{Data: "x"})
				if err != nil {
					t.Error(err)
					s.Close()
					return
				}
				// The subscriber's own event arrives, possibly after
				// others published concurrently.
				for {
					e, err := s.Next(ctx)
					if err != nil {
						t.Errorf("Next: %v", err)
						break
					}
					if e.Resync != "" {
						t.Errorf("unexpected resync %+v", e)
						break
					}
					if e.ID == id {
						break
					}
				}
				s.Close()
			}
		}()
	}
	wg.Wait()
}
