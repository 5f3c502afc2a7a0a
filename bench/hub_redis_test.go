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
	f := newFanoutOn(b, hub.New(&hub.Options{Backend: openRedis(b)}), 10_000)
	defer f.close()
	benchFanout(b, f.publish)
}

// openRedis starts a throwaway redis-server (skipping b when redis-server
// is not installed) and opens a backend on it with the defaults.
func openRedis(b *testing.B) *redishub.Backend {
	addr, stop := redistest.Start(b)
	b.Cleanup(stop)
	be, err := redishub.Open(context.Background(), "redis://"+addr+"/0", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Close() })
	return be
}

// BenchmarkHubPublishBatchRedis publishes batchSize events at a time with
// Hub.PublishBatch on the Redis backend: redishub's batch script stores
// them in order, de-duplicated by Key, and publishes each, in one round
// trip. events/s counts events, not batches.
func BenchmarkHubPublishBatchRedis(b *testing.B) {
	h := hub.New(&hub.Options{Backend: openRedis(b)})
	defer h.Close()
	benchPublishBatch(b, h)
}

// BenchmarkHubPublishRedis publishes one event at a time, each waiting
// for the publish script's answer, to a topic without subscribers:
// events/s is the rate one publisher reaches.
func BenchmarkHubPublishRedis(b *testing.B) {
	h := hub.New(&hub.Options{Backend: openRedis(b)})
	defer h.Close()
	benchPublish(b, h)
}
