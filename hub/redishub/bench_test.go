package redishub_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

// BenchmarkPublish publishes through a hub on Redis, to a topic without
// subscribers: one script run per event (offset, XADD with MAXLEN,
// PUBLISH). "serial" is one publisher waiting for each answer, the latency
// of a publish; "batch=100" the same publisher with PublishBatch;
// "parallel" is GOMAXPROCS publishers at once, over the client's pool, the
// throughput.
func BenchmarkPublish(b *testing.B) {
	srv := redistest.NewServer(b)
	p := newProc(b, srv.Addr(), "bench", nil)
	m := hub.Message{Type: "tick", Data: `{"n":1}`}
	b.Run("serial", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.hub.Publish(ctx, "bench", m); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	// batch=100: one publisher, PublishBatch of 100 events at a time (one
	// script run each); events/s counts events, not batches.
	b.Run("batch=100", func(b *testing.B) {
		ctx := context.Background()
		msgs := slices.Repeat([]hub.Message{m}, 100)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.hub.PublishBatch(ctx, "bench", msgs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				if _, err := p.hub.Publish(ctx, "bench", m); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkFanout publishes one event at a time and measures the time
// until every subscriber has it (p50 and p99, in ms). With the memory
// backend, publisher and subscribers share one hub. With Redis, the event
// is published through one process's hub and read by the subscribers of
// another process's hub: one script run, one Pub/Sub message to the other
// process, then its local fan-out.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("backend=memory/subs=%d", n), func(b *testing.B) {
			h := hub.New(nil)
			defer h.Close()
			measureFanout(b, h, h, n)
		})
		b.Run(fmt.Sprintf("backend=redis/subs=%d", n), func(b *testing.B) {
			srv := redistest.NewServer(b)
			pub := newProc(b, srv.Addr(), "pub", nil)
			sub := newProc(b, srv.Addr(), "sub", nil)
			measureFanout(b, pub.hub, sub.hub, n)
		})
	}
}

// measureFanout publishes through pub to n subscribers of sub, each read by
// its own goroutine as a handler would, one event at a time.
func measureFanout(b *testing.B, pub, sub *hub.Hub, n int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		got  atomic.Int64
		done = make(chan struct{}, 1)
		wg   sync.WaitGroup
	)
	for range n {
		s, err := sub.Subscribe(ctx, "bench", "")
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Close()
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
	b.ReportAllocs()
	for b.Loop() {
		got.Store(0)
		start := time.Now()
		if _, err := pub.Publish(ctx, "bench", m); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Fatalf("%d of %d subscribers got the event within 10s", got.Load(), n)
		}
		lat = append(lat, time.Since(start))
	}
	cancel()
	wg.Wait()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
