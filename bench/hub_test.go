package bench_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/hub"
)

// fanout is a hub topic with subs subscribers, each reading its
// subscription from its own goroutine, as handlers do.
type fanout struct {
	h      *hub.Hub
	subs   int
	got    atomic.Int64
	last   chan time.Time // the time the last subscriber got the event
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newFanout(tb testing.TB, subs int) *fanout { return newFanoutOn(tb, hub.New(nil), subs) }

// newFanoutOn subscribes subs readers to the topic "bench" of h; close
// closes h.
func newFanoutOn(tb testing.TB, h *hub.Hub, subs int) *fanout {
	f := &fanout{h: h, subs: subs, last: make(chan time.Time, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	for range subs {
		s, err := f.h.Subscribe(ctx, "bench", "")
		if err != nil {
			tb.Fatal(err)
		}
		f.wg.Go(func() {
			defer s.Close()
			for {
				if _, err := s.Next(ctx); err != nil {
					return
				}
				if f.got.Add(1) == int64(f.subs) {
					f.last <- time.Now()
				}
			}
		})
	}
	return f
}

// publish publishes one event and returns how long it took until the last
// subscriber had it.
func (f *fanout) publish(tb testing.TB) time.Duration {
	f.got.Store(0)
	start := time.Now()
	if _, err := f.h.Publish(context.Background(), "bench", hub.Message{Type: payload.Type, Data: payload.JSON}); err != nil {
		tb.Fatal(err)
	}
	return (<-f.last).Sub(start)
}

func (f *fanout) close() {
	f.cancel()
	f.wg.Wait()
	f.h.Close()
}

// TestFanout checks the fan-out measurement on a small topic.
func TestFanout(t *testing.T) {
	f := newFanout(t, 100)
	defer f.close()
	for i := range 3 {
		if d := f.publish(t); d <= 0 {
			t.Errorf("publish %d: latency %v, want positive", i, d)
		}
	}
}

// BenchmarkHubFanout10k publishes one event at a time to a topic with
// 10,000 subscribers and waits until the last one has read it: ns/op and
// the p50 and p99 metrics are that latency, allocs/op counts everything
// allocated per event, by the publisher and the 10,000 readers.
func BenchmarkHubFanout10k(b *testing.B) {
	f := newFanout(b, 10_000)
	defer f.close()
	benchFanout(b, f)
}

// benchFanout times publishing one event at a time through f.
func benchFanout(b *testing.B, f *fanout) {
	f.publish(b) // warm up
	var lat []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		lat = append(lat, f.publish(b))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkHubPublish publishes one event at a time to an in-memory topic
// without subscribers: events/s is the rate one publisher reaches.
func BenchmarkHubPublish(b *testing.B) {
	h := hub.New(nil)
	defer h.Close()
	benchPublish(b, h)
}

// benchPublish times publishing one event at a time to h's topic "bench",
// and reports the rate as events/s.
func benchPublish(b *testing.B, h *hub.Hub) {
	ctx := context.Background()
	m := hub.Message{Type: payload.Type, Data: payload.JSON}
	if _, err := h.Publish(ctx, "bench", m); err != nil { // creates the topic
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Publish(ctx, "bench", m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
