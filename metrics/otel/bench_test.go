package streamotel_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	streamotel "github.com/streamkit/streamkit/metrics/otel"
)

var message = []byte("id: 42\nevent: tick\ndata: {\"n\":42,\"text\":\"a pre-encoded message of about one hundred bytes\"}\n\n")

// BenchmarkStreamWrite is core's BenchmarkStreamWrite with this observer
// on the registry and the SDK's meter behind it: the cost per flush of
// OpenTelemetry metrics.
func BenchmarkStreamWrite(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider()
	defer mp.Shutdown(context.Background())
	defer tp.Shutdown(context.Background())
	o, err := streamotel.New(&streamotel.Options{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		b.Fatal(err)
	}
	s, err := core.New(streamtest.Discard{}, &core.Options{Registry: &core.Registry{Observer: o}, Kind: "sse"})
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
