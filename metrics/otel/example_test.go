package streamotel_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	streamotel "github.com/streamkit/streamkit/metrics/otel"
)

// A registry whose streams are measured and traced. The application owns
// the SDK; here an in-memory reader and span recorder stand in for its
// exporters.
func Example() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer mp.Shutdown(context.Background())
	defer tp.Shutdown(context.Background())

	o, err := streamotel.New(&streamotel.Options{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		fmt.Println(err)
		return
	}
	reg := &core.Registry{Observer: o}
	s, _ := core.New(streamtest.NewRecorder(), &core.Options{Registry: reg, Kind: "ndjson"})
	s.Write([]byte("{\"n\":1}\n"))
	s.Write([]byte("{\"n\":2}\n"))
	s.Close()

	for _, sp := range spans.Ended() {
		fmt.Println("span:", sp.Name())
		for _, kv := range sp.Attributes() {
			fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
		}
		for _, ev := range sp.Events() {
			fmt.Println("  event:", ev.Name)
		}
	}
	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "streamkit.stream.sent.events" {
			fmt.Println(m.Name, sum.DataPoints[0].Value)
		}
	}
	// Output:
	// span: stream ndjson
	//   streamkit.stream.kind=ndjson
	//   streamkit.stream.end_reason=closed
	//   streamkit.stream.events=2
	//   streamkit.stream.bytes=16
	//   event: first event
	// streamkit.stream.sent.events 2
}
