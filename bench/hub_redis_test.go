package bench_test

import (
	"context"
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/redishub"
	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

// BenchmarkHubFanout10kRedis is BenchmarkHubFanout10k with the Redis
// backend on a throwaway local redis-server: each event goes through the
// publish script and Pub/Sub before the hub hands it to the 10,000
// subscribers. It is skipped when redis-server is not installed.
func BenchmarkHubFanout10kRedis(b *testing.B) {
	addr, stop := redistest.Start(b)
	defer stop()
	be, err := redishub.Open(context.Background(), "redis://"+addr+"/0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	f := newFanoutOn(b, hub.New(&hub.Options{Backend: be}), 10_000)
	defer f.close()
	benchFanout(b, f)
}

// BenchmarkHubPublishRedis publishes one event at a time, each waiting
// for the publish script's answer, to a topic without subscribers:
// events/s is the rate one publisher reaches.
func BenchmarkHubPublishRedis(b *testing.B) {
	addr, stop := redistest.Start(b)
	defer stop()
	be, err := redishub.Open(context.Background(), "redis://"+addr+"/0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	h := hub.New(&hub.Options{Backend: be})
	defer h.Close()
	benchPublish(b, h)
}
