package hub_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
)

// BenchmarkPublish publishes to a topic without subscribers: the cost of
// storing an event in the memory backend's history.
func BenchmarkPublish(b *testing.B) {
	h := hub.New(nil)
	defer h.Close()
	ctx := context.Background()
	m := hub.Message{Type: "tick", Data: `{"n":1}`}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Publish(ctx, "bench", m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishTo publishes to a topic whose subscribers do not read:
// the publisher's side of a fan-out (store, encode once, one wake-up per
// subscriber; once their queues are full, the drop-oldest bookkeeping).
// Its allocations per publish do not grow with the subscribers: at 100000,
// where the topic's wakers share the wake-ups, they are those at 100.
func BenchmarkPublishTo(b *testing.B) {
	for _, n := range []int{100, 10000, 100000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			h := hub.New(nil)
			defer h.Close()
			ctx := context.Background()
			for range n {
				s, err := h.Subscribe(ctx, "bench", "")
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
			}
			m := hub.Message{Type: "tick", Data: `{"n":1}`}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Publish(ctx, "bench", m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFanout publishes one event at a time to a topic with many
// subscribers, each read by its own goroutine as a handler would, and
// measures the time until the last subscriber has the event (p50 and p99,
// in ms), and how long Publish itself takes (publish-p50-ms): with the
// memory backend the publisher does the wake-ups. The hub's allocations per publish do not depend on the number of
// subscribers (see BenchmarkPublishTo); what allocs/op adds here at 10000
// subscribers is the runtime's, for parking that many goroutines on
// channels.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{100, 10000, 100000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) { benchFanout(b, n) })
	}
}

func benchFanout(b *testing.B, n int) {
	h := hub.New(nil)
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		got  atomic.Int64
		done = make(chan struct{}, 1)
		wg   sync.WaitGroup
	)
	for range n {
		s, err := h.Subscribe(ctx, "bench", "")
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Close()
			// Each handler waits on its own request's context.
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for {
				if _, err := s.Next(ctx); err != nil {
					return
				}
				if got.Add(1) == int64(n) {
					done <- struct{}{}
				}
			}
		}()
	}
	m := hub.Message{Type: "tick", Data: `{"n":1}`}
	lat := make([]time.Duration, 0, 1024)
	pub := make([]time.Duration, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got.Store(0)
		start := time.Now()
		if _, err := h.Publish(ctx, "bench", m); err != nil {
			b.Fatal(err)
		}
		pub = append(pub, time.Since(start))
		<-done
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	cancel()
	h.Close()
	wg.Wait()
	slices.Sort(lat)
	slices.Sort(pub)
	pct := func(d []time.Duration, p float64) float64 {
		return float64(d[int(p*float64(len(d)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(pct(pub, 0.50), "publish-p50-ms")
}

// BenchmarkIdleSubscribers holds 10,000 topics with 10 subscribers each,
// every subscriber read by its own goroutine as a handler would, while one
// event is published every millisecond to the topics in turn, and reports
// the memory per subscriber: Go heap in use plus goroutine stacks, grown
// over a baseline taken before subscribing, after a GC. The goroutine's
// stack is the reader's; what the hub keeps per subscriber is the heap
// part (bytes-heap/sub).
func BenchmarkIdleSubscribers(b *testing.B) {
	const topics, perTopic = 10_000, 10
	for b.Loop() {
		h := hub.New(nil)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var got atomic.Int64
		var before memSample
		before.heap, before.stacks = memInUse()
		for i := range topics {
			name := fmt.Sprintf("t%d", i)
			for range perTopic {
				s, err := h.Subscribe(ctx, name, "")
				if err != nil {
					b.Fatal(err)
				}
				wg.Go(func() {
					defer s.Close()
					for {
						if _, err := s.Next(ctx); err != nil {
							return
						}
						got.Add(1)
					}
				})
			}
		}
		tick := time.NewTicker(time.Millisecond)
		m := hub.Message{Type: "tick", Data: `{"n":1}`}
		for i := range 1000 {
			<-tick.C
			if _, err := h.Publish(ctx, fmt.Sprintf("t%d", i%topics), m); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		heap, stacks := memInUse()
		subs := float64(topics * perTopic)
		b.ReportMetric(float64(heap-before.heap)/subs, "bytes-heap/sub")
		b.ReportMetric(float64(stacks-before.stacks)/subs, "bytes-stack/sub")
		cancel()
		h.Close()
		wg.Wait()
		if got.Load() == 0 {
			b.Fatal("no subscriber got an event")
		}
	}
}

type memSample struct{ heap, stacks uint64 }

// memInUse returns the heap and goroutine stack memory in use after a GC.
func memInUse() (heap, stacks uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.StackInuse
}
