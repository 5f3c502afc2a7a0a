package streamprom_test

import (
	"testing"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	streamprom "github.com/streamkit/streamkit/metrics/prometheus"
)

var message = []byte("id: 42\nevent: tick\ndata: {\"n\":42,\"text\":\"a pre-encoded message of about one hundred bytes\"}\n\n")

// BenchmarkStreamWrite is core's BenchmarkStreamWrite with a Collector on
// the registry: the cost per flush of the Prometheus metrics.
func BenchmarkStreamWrite(b *testing.B) {
	s, err := core.New(streamtest.Discard{}, &core.Options{Registry: &core.Registry{Observer: streamprom.New(nil)}, Kind: "sse"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(int64(len(message)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Write(message); err != nil {
			b.Fatal(err)
		}
	}
}
