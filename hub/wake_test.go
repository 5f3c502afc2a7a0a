package hub_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
)

// TestParallelWake runs a topic whose subscribers are woken from several
// goroutines at once (the threshold lowered from tens of thousands to 2):
// readers get every event once and in order while publishers race, and
// readers that fall behind get the drop-oldest resync.
func TestParallelWake(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: the wake-ups are never split")
	}
	defer hub.SetParallelWake(2)()
	t.Run("every event in order", func(t *testing.T) {
		const publishers, each, readers = 3, 100, 16
		h := newHub(t, &hub.Options{QueueSize: 1024})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for range readers {
			s := hubtest.Subscribe(t, h, "wide", "")
			wg.Go(func() {
				next := make([]int, publishers)
				for range publishers * each {
					e, err := s.Next(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					var p, n int
					if _, err := fmt.Sscan(e.Data, &p, &n); err != nil || n != next[p] {
						t.Errorf("got %q; want publisher %d's event %d", e.Data, p, next[p])
						return
					}
					next[p]++
				}
			})
		}
		for p := range publishers {
			wg.Go(func() {
				for n := range each {
					if _, err := h.Publish(ctx, "wide", hub.Message{Data: fmt.Sprint(p, " ", n)}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
	t.Run("slow readers dropped", func(t *testing.T) {
		const queue, readers = 4, 8
		h := newHub(t, &hub.Options{QueueSize: queue})
		subs := make([]*hub.Subscription, readers)
		for i := range subs {
			subs[i] = hubtest.Subscribe(t, h, "wide", "")
		}
		for range queue + 3 {
			hubtest.Publish(t, h, "wide", "x")
		}
		for _, s := range subs {
			if e := hubtest.Next(t, s); e.Resync != hub.ReasonDropped {
				t.Errorf("first event %+v; want a resync for dropped events", e)
			}
		}
	})
}
