package bench_test

import (
	"context"
	"runtime"
	"slices"
	"strconv"
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

// TestParked checks the floor's measurement on a few readers.
func TestParked(t *testing.T) {
	p := newParked(100)
	defer p.close()
	for i := range 3 {
		if d := p.publish(t); d <= 0 {
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
	benchFanout(b, f.publish)
}

// BenchmarkHubFanout100k is BenchmarkHubFanout10k with 100,000
// subscribers on one topic, in memory: ten times the reach. It is heavy
// (100,000 goroutines); run-bench.sh runs it for a few events only.
func BenchmarkHubFanout100k(b *testing.B) {
	f := newFanout(b, 100_000)
	defer f.close()
	benchFanout(b, f.publish)
}

// BenchmarkHubFanout100kFloor is the runtime's floor under
// BenchmarkHubFanout100k: 100,000 goroutines, each parked on a channel of
// its own and woken the way the hub wakes a big topic's readers, with no
// hub: no ring, no cursor, no event, no context. Its latency is what Go's
// scheduler alone costs on this machine for that many wake-ups.
func BenchmarkHubFanout100kFloor(b *testing.B) {
	p := newParked(100_000)
	defer p.close()
	benchFanout(b, p.publish)
}

// parked is the floor's readers: one goroutine per channel, each counting
// its wake-ups as a fanout reader counts its events.
type parked struct {
	wakes []chan struct{}
	got   atomic.Int64
	last  chan time.Time // the time the last reader woke
	wg    sync.WaitGroup
}

func newParked(n int) *parked {
	p := &parked{wakes: make([]chan struct{}, n), last: make(chan time.Time, 1)}
	for i := range p.wakes {
		c := make(chan struct{}, 1)
		p.wakes[i] = c
		p.wg.Go(func() {
			for range c {
				if p.got.Add(1) == int64(n) {
					p.last <- time.Now()
				}
			}
		})
	}
	return p
}

// publish wakes every reader once, as a hub's publish wakes a big topic:
// the readers split between GOMAXPROCS goroutines (the publisher and its
// wakers), each loop yielding to the readers it readied every 64, and
// returns how long it took until the last had run.
func (p *parked) publish(testing.TB) time.Duration {
	p.got.Store(0)
	start := time.Now()
	k := runtime.GOMAXPROCS(0)
	per := (len(p.wakes) + k - 1) / k
	var wg sync.WaitGroup
	for i := 1; i < k; i++ {
		wg.Go(func() { wakeParked(p.wakes[min(len(p.wakes), i*per):min(len(p.wakes), (i+1)*per)]) })
	}
	wakeParked(p.wakes[:per])
	wg.Wait()
	return (<-p.last).Sub(start)
}

// wakeParked signals each of wakes without blocking, yielding after every
// 64 that went to a waiting reader, as the hub's wake loop does.
func wakeParked(wakes []chan struct{}) {
	readied := 0
	for _, c := range wakes {
		select {
		case c <- struct{}{}:
		default:
		}
		if len(c) == 0 {
			if readied++; readied == 64 {
				readied = 0
				runtime.Gosched()
			}
		}
	}
}

func (p *parked) close() {
	for _, c := range p.wakes {
		close(c)
	}
	p.wg.Wait()
}

// benchFanout times publish, one event at a time to a fan-out that returns
// how long the last reader waited for it.
func benchFanout(b *testing.B, publish func(testing.TB) time.Duration) {
	publish(b) // warm up
	var lat []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		lat = append(lat, publish(b))
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

// batchSize is the size of the batches of the HubPublishBatch benchmarks.
const batchSize = 100

// BenchmarkHubPublishBatch publishes batchSize events at a time with
// Hub.PublishBatch to an in-memory topic without subscribers: events/s
// counts events, not batches.
func BenchmarkHubPublishBatch(b *testing.B) {
	h := hub.New(nil)
	defer h.Close()
	benchPublishBatch(b, h)
}

// benchPublishBatch times Hub.PublishBatch of batchSize events to h's
// topic "bench" (stored in order, each batch in one round trip on a
// backend with a batch path), and reports the rate in events/s.
func benchPublishBatch(b *testing.B, h *hub.Hub) {
	ctx := context.Background()
	msgs := make([]hub.Message, batchSize)
	for i := range msgs {
		msgs[i] = hub.Message{Type: payload.Type, Data: payload.JSON}
	}
	if _, err := h.PublishBatch(ctx, "bench", msgs); err != nil { // creates the topic
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.PublishBatch(ctx, "bench", msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkHubIdleSubscribers holds 10,000 topics with 10 subscribers
// each, every subscriber read by its own goroutine as a handler does,
// while one event is published every millisecond to the topics in turn
// (1,000 events), and reports the memory per subscriber: Go heap in use
// (bytes-heap/sub: what the hub keeps, plus the reader's context) and
// goroutine stacks (bytes-stack/sub: the reader's), grown over a baseline
// taken before subscribing, each after a GC.
func BenchmarkHubIdleSubscribers(b *testing.B) {
	const topics, perTopic = 10_000, 10
	for b.Loop() {
		h := hub.New(nil)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var got atomic.Int64
		heap0, stacks0 := memInUse()
		for i := range topics {
			name := "t" + strconv.Itoa(i)
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
		m := hub.Message{Type: payload.Type, Data: payload.JSON}
		for i := range 1000 {
			<-tick.C
			if _, err := h.Publish(ctx, "t"+strconv.Itoa(i%topics), m); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		heap, stacks := memInUse()
		subs := float64(topics * perTopic)
		b.ReportMetric(float64(int64(heap)-int64(heap0))/subs, "bytes-heap/sub")
		b.ReportMetric(float64(int64(stacks)-int64(stacks0))/subs, "bytes-stack/sub")
		cancel()
		h.Close()
		wg.Wait()
		if got.Load() == 0 {
			b.Fatal("no subscriber got an event")
		}
	}
}

// memInUse returns the heap and goroutine stack memory in use after a GC.
func memInUse() (heap, stacks uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.StackInuse
}
