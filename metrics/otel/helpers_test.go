package streamotel_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	streamotel "github.com/streamkit/streamkit/metrics/otel"
)

// sdk is an in-memory OpenTelemetry SDK: a manual metric reader and a span
// recorder.
type sdk struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	mp     *sdkmetric.MeterProvider
	tp     *sdktrace.TracerProvider
}

func newSDK(t *testing.T) *sdk {
	s := &sdk{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	s.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	s.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
	t.Cleanup(func() {
		s.mp.Shutdown(context.Background())
		s.tp.Shutdown(context.Background())
	})
	return s
}

func (s *sdk) observer(t *testing.T, o *streamotel.Options) *streamotel.Observer {
	t.Helper()
	var opts streamotel.Options
	if o != nil {
		opts = *o
	}
	opts.MeterProvider, opts.TracerProvider = s.mp, s.tp
	ob, err := streamotel.New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

// collect reads every metric.
func (s *sdk) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != streamotel.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, streamotel.ScopeName)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// point returns the value of metric name at exactly attrs: a sum's value
// or a histogram's count.
func point(ms map[string]metricdata.Metrics, name string, attrs ...attribute.KeyValue) (float64, bool) {
	set := attribute.NewSet(attrs...)
	switch d := ms[name].Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			if dp.Attributes.Equals(&set) {
				return float64(dp.Value), true
			}
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			if dp.Attributes.Equals(&set) {
				return float64(dp.Count), true
			}
		}
	}
	return 0, false
}

func expectPoint(t *testing.T, ms map[string]metricdata.Metrics, name string, want float64, attrs ...attribute.KeyValue) {
	t.Helper()
	got, ok := point(ms, name, attrs...)
	if !ok && want == 0 {
		return // a series never touched is absent
	}
	if !ok {
		t.Errorf("%s%v: no such point", name, attrs)
		return
	}
	if got != want {
		t.Errorf("%s%v = %v, want %v", name, attrs, got, want)
	}
}
