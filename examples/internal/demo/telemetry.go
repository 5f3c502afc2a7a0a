package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	streamotel "github.com/streamkit/streamkit/metrics/otel"
	streamprom "github.com/streamkit/streamkit/metrics/prometheus"
)

// OTelInterval is how often -otel-stdout prints the metrics; they are
// printed once more at shutdown.
const OTelInterval = 30 * time.Second

// Telemetry exports one server's streams and hub: Prometheus text format
// at GET /metrics (it is the handler), and with -otel-stdout OpenTelemetry
// spans (one per stream) and metrics printed as JSON by the SDK's stdout
// exporters. [NewTelemetry] makes it the registry's observer, so every
// stream and the hub of [NewHub] report to it.
type Telemetry struct {
	metrics  http.Handler
	shutdown []func(context.Context) error
}

// NewTelemetry sets reg's observer: the Prometheus collector, and with
// cfg.OTelStdout the OpenTelemetry observer too, whose exporters write to
// out. Call it before the first stream opens, and before [NewHub].
func NewTelemetry(cfg *Config, reg *core.Registry, out io.Writer) (*Telemetry, error) {
	prom := streamprom.New(nil)
	pr := prometheus.NewRegistry()
	pr.MustRegister(prom)
	t := &Telemetry{metrics: promhttp.HandlerFor(pr, promhttp.HandlerOpts{})}
	if !cfg.OTelStdout {
		reg.Observer = prom
		return t, nil
	}
	spans, err := stdouttrace.New(stdouttrace.WithWriter(out))
	if err != nil {
		return nil, fmt.Errorf("demo: -otel-stdout: %w", err)
	}
	metrics, err := stdoutmetric.New(stdoutmetric.WithWriter(out))
	if err != nil {
		return nil, fmt.Errorf("demo: -otel-stdout: %w", err)
	}
	// Spans are printed as their streams end, so that a reader sees each
	// stream's end at once.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(
		sdkmetric.NewPeriodicReader(metrics, sdkmetric.WithInterval(OTelInterval))))
	t.shutdown = append(t.shutdown, mp.Shutdown, tp.Shutdown)
	ot, err := streamotel.New(&streamotel.Options{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		return nil, fmt.Errorf("demo: -otel-stdout: %w", err)
	}
	reg.Observer = both{prom, ot}
	return t, nil
}

// ServeHTTP serves the Prometheus text format: the route GET /metrics.
func (t *Telemetry) ServeHTTP(w http.ResponseWriter, r *http.Request) { t.metrics.ServeHTTP(w, r) }

// Closing returns closeHub followed by the flush of the OpenTelemetry
// exporters, for [Run]: the streams have ended by then, so their spans and
// final counts are printed.
func (t *Telemetry) Closing(closeHub func() error) func() error {
	return func() error {
		err := closeHub()
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		for _, f := range t.shutdown {
			err = errors.Join(err, f(ctx))
		}
		return err
	}
}

// observer is what each exporter is: an observer of streams, of a hub and
// of a backend's connection.
type observer interface {
	core.Observer
	hub.Observer
	hub.BackendObserver
}

// both passes every call to two observers.
type both [2]observer

func (b both) StreamOpened(info core.StreamInfo) core.StreamProbe {
	return probes{b[0].StreamOpened(info), b[1].StreamOpened(info)}
}

func (b both) Published(topic string)        { b[0].Published(topic); b[1].Published(topic) }
func (b both) Subscribed(topic string)       { b[0].Subscribed(topic); b[1].Subscribed(topic) }
func (b both) Unsubscribed(topic string)     { b[0].Unsubscribed(topic); b[1].Unsubscribed(topic) }
func (b both) Dropped(topic string, n int64) { b[0].Dropped(topic, n); b[1].Dropped(topic, n) }
func (b both) SlowDisconnected(topic string, n int) {
	b[0].SlowDisconnected(topic, n)
	b[1].SlowDisconnected(topic, n)
}
func (b both) Resynced(topic string, r hub.Reason) { b[0].Resynced(topic, r); b[1].Resynced(topic, r) }
func (b both) BackendGap(topic string)             { b[0].BackendGap(topic); b[1].BackendGap(topic) }
func (b both) BackendDisconnected(err error) {
	b[0].BackendDisconnected(err)
	b[1].BackendDisconnected(err)
}
func (b both) BackendReconnected() { b[0].BackendReconnected(); b[1].BackendReconnected() }

// probes follows one stream for two observers; either probe may be nil.
type probes [2]core.StreamProbe

func (p probes) FirstEvent(after time.Duration) {
	for _, q := range p {
		if q != nil {
			q.FirstEvent(after)
		}
	}
}

func (p probes) Sent(messages, bytes int64) {
	for _, q := range p {
		if q != nil {
			q.Sent(messages, bytes)
		}
	}
}

func (p probes) Ended(e core.StreamEnd) {
	for _, q := range p {
		if q != nil {
			q.Ended(e)
		}
	}
}

// backendObserver returns reg's observer as a backend's, or nil.
func backendObserver(reg *core.Registry) hub.BackendObserver {
	if o, ok := reg.Observer.(hub.BackendObserver); ok {
		return o
	}
	return nil
}
