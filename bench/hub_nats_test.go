package bench_test

import (
	"context"
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

// openNATS starts a throwaway nats-server with JetStream (skipping b when
// nats-server is not installed) and opens a backend on it with the
// defaults: file storage, one replica.
func openNATS(b *testing.B) *natshub.Backend {
	url, stop := natstest.Start(b)
	b.Cleanup(stop)
	be, err := natshub.Open(context.Background(), url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Close() })
	return be
}

// BenchmarkHubFanout10kNATS is BenchmarkHubFanout10k with the NATS
// JetStream backend on a throwaway local nats-server: each event is
// stored in the topic's stream and comes back through the process's one
// consumer before the hub hands it to the 10,000 subscribers. It is
// skipped when nats-server is not installed.
func BenchmarkHubFanout10kNATS(b *testing.B) {
	f := newFanoutOn(b, hub.New(&hub.Options{Backend: openNATS(b)}), 10_000)
	defer f.close()
	benchFanout(b, f.publish)
}

// BenchmarkHubPublishNATS publishes one event at a time, each waiting
// for JetStream's acknowledgement, to a topic without subscribers:
// events/s is the rate one publisher reaches.
func BenchmarkHubPublishNATS(b *testing.B) {
	h := hub.New(&hub.Options{Backend: openNATS(b)})
	defer h.Close()
	benchPublish(b, h)
}

// BenchmarkHubPublishBatchNATS publishes batchSize events at a time with
// Hub.PublishBatch on the NATS backend: natshub's AppendBatch stores them
// in order, de-duplicated by Key, in one round trip. events/s counts
// events, not batches.
func BenchmarkHubPublishBatchNATS(b *testing.B) {
	h := hub.New(&hub.Options{Backend: openNATS(b)})
	defer h.Close()
	benchPublishBatch(b, h)
}
