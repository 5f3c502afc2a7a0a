package streamotel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/streamkit/streamkit/metrics/otel"

// Attribute keys.
const (
	// KindKey is the stream's kind: sse, ndjson, chunked, relay, other.
	KindKey = attribute.Key("streamkit.stream.kind")
	// RouteKey is the route pattern, as in OpenTelemetry's HTTP
	// conventions; on spans when known, on metrics with [Options.Routes].
	RouteKey = attribute.Key("http.route")
	// EndReasonKey is why a stream ended (a core.EndReason).
	EndReasonKey = attribute.Key("streamkit.stream.end_reason")
	// EventsKey and BytesKey are a stream's totals, on its span.
	EventsKey = attribute.Key("streamkit.stream.events")
	BytesKey  = attribute.Key("streamkit.stream.bytes")
	// TopicKey is the mapped topic name of hub metrics, with
	// [Options.Topic].
	TopicKey = attribute.Key("streamkit.hub.topic")
	// ResyncReasonKey is a resync signal's reason (a hub.Reason).
	ResyncReasonKey = attribute.Key("streamkit.hub.resync_reason")
)

// FirstEventName is the name of the span event marking a stream's first
// event.
const FirstEventName = "first event"

// OtherKind is the kind of a stream built with core.New and no
// core.Options.Kind.
const OtherKind = "other"

// Default explicit histogram boundaries, in seconds.
var (
	DefaultDurationBuckets   = []float64{0.1, 1, 10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600}
	DefaultFirstEventBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
)

// Options configures an [Observer]. The zero value, and a nil *Options,
// mean the global meter and tracer providers, streams measured by kind, hub
// metrics without a topic attribute.
type Options struct {
	// MeterProvider and TracerProvider; nil means otel.GetMeterProvider()
	// and otel.GetTracerProvider().
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider

	// Routes adds [RouteKey] to the stream metrics. Spans carry it anyway
	// when the route is known.
	Routes bool

	// Topic, when set, adds [TopicKey] to the hub metrics with the value
	// Topic(name). Topic names come from clients: the function must map
	// them onto a small fixed set, or the series grow without bound.
	Topic func(topic string) string

	// DurationBuckets and FirstEventBuckets advise the histograms'
	// boundaries in seconds; nil means the defaults above.
	DurationBuckets   []float64
	FirstEventBuckets []float64
}

// Observer reports streams and hub events through the OpenTelemetry metric
// and trace APIs: it is a core.Observer (set it as core.Registry.Observer),
// a hub.Observer (a hub takes it from its registry) and a
// hub.BackendObserver (for redishub.Options.Observer).
//
// Each stream gets a span of its own, from opening to end, a child of the
// request's span when there is one: the HTTP server span stays a request's,
// and request-duration metrics are not swamped by hour-long streams. The
// span records the first event as a span event, and ends with the end
// reason, events and bytes as attributes; its status is Error only for
// core.EndError.
//
// An Observer is safe for concurrent use.
type Observer struct {
	tracer trace.Tracer
	routes bool
	topic  func(string) string

	active     metric.Int64UpDownCounter
	opened     metric.Int64Counter
	ended      metric.Int64Counter
	duration   metric.Float64Histogram
	firstEvent metric.Float64Histogram
	events     metric.Int64ObservableCounter
	bytes      metric.Int64ObservableCounter

	published   metric.Int64Counter
	subscribers metric.Int64UpDownCounter
	dropped     metric.Int64Counter
	slow        metric.Int64Counter
	resyncs     metric.Int64Counter
	gaps        metric.Int64Counter
	lost        metric.Int64Counter
	reconnects  metric.Int64Counter

	kinds  sync.Map // streamKey -> *kindSet
	topics sync.Map // mapped topic -> *topicSet
}

// New creates the instruments and returns an Observer. It fails only when
// the meter provider refuses an instrument.
func New(opts *Options) (*Observer, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	mp, tp := o.MeterProvider, o.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if o.DurationBuckets == nil {
		o.DurationBuckets = DefaultDurationBuckets
	}
	if o.FirstEventBuckets == nil {
		o.FirstEventBuckets = DefaultFirstEventBuckets
	}
	m := mp.Meter(ScopeName)
	ob := &Observer{tracer: tp.Tracer(ScopeName), routes: o.Routes, topic: o.Topic}

	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	upDown := func(name, unit, desc string) metric.Int64UpDownCounter {
		c, err := m.Int64UpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	histogram := func(name, desc string, bounds []float64) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(bounds...))
		errs = append(errs, err)
		return h
	}
	ob.active = upDown("streamkit.streams.active", "{stream}", "Streams open now.")
	ob.opened = counter("streamkit.streams.opened", "{stream}", "Streams opened (admitted by the registry).")
	ob.ended = counter("streamkit.streams.ended", "{stream}", "Streams ended, by end reason.")
	ob.duration = histogram("streamkit.stream.duration", "Life of each ended stream.", o.DurationBuckets)
	ob.firstEvent = histogram("streamkit.stream.time_to_first_event",
		"Time from opening a stream to flushing its first event.", o.FirstEventBuckets)
	// Events and bytes change on every flush: the probes add them up in
	// atomics, and a callback reports the sums when the reader collects,
	// which costs a flush a few nanoseconds instead of two measurements.
	var err error
	ob.events, err = m.Int64ObservableCounter("streamkit.stream.sent.events", metric.WithUnit("{event}"),
		metric.WithDescription("Messages flushed to clients (SSE events, NDJSON records, chunks), heartbeats excluded."))
	errs = append(errs, err)
	ob.bytes, err = m.Int64ObservableCounter("streamkit.stream.sent.bytes", metric.WithUnit("By"),
		metric.WithDescription("Response body bytes flushed to clients, heartbeats included."))
	errs = append(errs, err)
	ob.published = counter("streamkit.hub.published", "{event}", "Events published to the hub and stored.")
	ob.subscribers = upDown("streamkit.hub.subscribers", "{subscriber}", "Hub subscriptions open now.")
	ob.dropped = counter("streamkit.hub.dropped", "{event}", "Events dropped from slow subscribers' queues.")
	ob.slow = counter("streamkit.hub.slow_disconnects", "{subscriber}", "Subscribers cut off for falling behind.")
	ob.resyncs = counter("streamkit.hub.resyncs", "{signal}", "Resync signals delivered to subscribers, by reason.")
	ob.gaps = counter("streamkit.hub.backend.gaps", "{gap}", "Gaps the backend reported in a topic's live feed.")
	ob.lost = counter("streamkit.hub.backend.disconnects", "{disconnect}", "Live-feed connection losses.")
	ob.reconnects = counter("streamkit.hub.backend.reconnects", "{reconnect}", "Live-feed connections restored after a loss.")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if _, err := m.RegisterCallback(ob.observeSent, ob.events, ob.bytes); err != nil {
		return nil, err
	}
	return ob, nil
}

// streamKey identifies a stream's metric attributes.
type streamKey struct{ kind, route string }

// kindSet holds the measurement options of one kind (and route), built
// once, so that measuring allocates nothing.
type kindSet struct {
	attrs  attribute.Set
	sums   metric.ObserveOption
	events atomic.Int64
	bytes  atomic.Int64
	add    []metric.AddOption
	record []metric.RecordOption
	ended  map[core.EndReason][]metric.AddOption
}

func (o *Observer) kindSet(k streamKey) *kindSet {
	if s, ok := o.kinds.Load(k); ok {
		return s.(*kindSet)
	}
	kv := []attribute.KeyValue{KindKey.String(k.kind)}
	if o.routes {
		kv = append(kv, RouteKey.String(k.route))
	}
	set := attribute.NewSet(kv...)
	opt := metric.WithAttributeSet(set)
	s := &kindSet{
		attrs:  set,
		sums:   opt,
		add:    []metric.AddOption{opt},
		record: []metric.RecordOption{opt},
		ended:  make(map[core.EndReason][]metric.AddOption),
	}
	for _, r := range core.EndReasons() {
		s.ended[r] = []metric.AddOption{metric.WithAttributeSet(
			attribute.NewSet(append(kv[:len(kv):len(kv)], EndReasonKey.String(string(r)))...))}
	}
	got, _ := o.kinds.LoadOrStore(k, s)
	return got.(*kindSet)
}

// StreamOpened implements core.Observer: it counts the stream and starts
// its span.
func (o *Observer) StreamOpened(info core.StreamInfo) core.StreamProbe {
	k := streamKey{kind: info.Kind}
	if k.kind == "" {
		k.kind = OtherKind
	}
	route := info.Route
	if o.routes {
		k.route = route
	}
	ks := o.kindSet(k)
	ctx := info.Context
	if ctx == nil {
		ctx = context.Background()
	}
	attrs := []attribute.KeyValue{KindKey.String(k.kind)}
	if route != "" {
		attrs = append(attrs, RouteKey.String(route))
	}
	_, span := o.tracer.Start(ctx, "stream "+k.kind,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithTimestamp(info.Start),
		trace.WithAttributes(attrs...))
	o.opened.Add(context.Background(), 1, ks.add...)
	o.active.Add(context.Background(), 1, ks.add...)
	return &probe{o: o, ks: ks, span: span}
}

// probe follows one stream.
type probe struct {
	o    *Observer
	ks   *kindSet
	span trace.Span
}

// FirstEvent implements core.StreamProbe.
func (p *probe) FirstEvent(after time.Duration) {
	p.o.firstEvent.Record(context.Background(), after.Seconds(), p.ks.record...)
	p.span.AddEvent(FirstEventName)
}

// Sent implements core.StreamProbe.
func (p *probe) Sent(messages, bytes int64) {
	if messages > 0 {
		p.ks.events.Add(messages)
	}
	p.ks.bytes.Add(bytes)
}

// observeSent reports the events and bytes sent, per kind, to a reader.
func (o *Observer) observeSent(_ context.Context, obs metric.Observer) error {
	o.kinds.Range(func(_, v any) bool {
		ks := v.(*kindSet)
		obs.ObserveInt64(o.events, ks.events.Load(), ks.sums)
		obs.ObserveInt64(o.bytes, ks.bytes.Load(), ks.sums)
		return true
	})
	return nil
}

// Ended implements core.StreamProbe: it counts the end and ends the span.
func (p *probe) Ended(e core.StreamEnd) {
	ctx := context.Background()
	p.o.active.Add(ctx, -1, p.ks.add...)
	ended, ok := p.ks.ended[e.Reason]
	if !ok {
		ended = p.ks.ended[core.EndError]
	}
	p.o.ended.Add(ctx, 1, ended...)
	p.o.duration.Record(ctx, e.Duration.Seconds(), p.ks.record...)
	p.span.SetAttributes(
		EndReasonKey.String(string(e.Reason)),
		EventsKey.Int64(e.Messages),
		BytesKey.Int64(e.Bytes),
	)
	if e.Reason == core.EndError && e.Err != nil {
		p.span.SetStatus(codes.Error, e.Err.Error())
	}
	p.span.End()
}

// topicSet holds the measurement options of one mapped topic.
type topicSet struct {
	add     []metric.AddOption
	resyncs map[hub.Reason][]metric.AddOption
}

var resyncReasons = []hub.Reason{
	hub.ReasonMalformed, hub.ReasonUnknown, hub.ReasonEpoch, hub.ReasonEvicted,
	hub.ReasonDropped, hub.ReasonSlow, hub.ReasonUnavailable,
}

func (o *Observer) topicSet(topic string) *topicSet {
	label := ""
	if o.topic != nil {
		label = o.topic(topic)
	}
	if s, ok := o.topics.Load(label); ok {
		return s.(*topicSet)
	}
	var kv []attribute.KeyValue
	if o.topic != nil {
		kv = []attribute.KeyValue{TopicKey.String(label)}
	}
	s := &topicSet{
		add:     []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kv...))},
		resyncs: make(map[hub.Reason][]metric.AddOption),
	}
	for _, r := range resyncReasons {
		s.resyncs[r] = []metric.AddOption{metric.WithAttributeSet(
			attribute.NewSet(append(kv[:len(kv):len(kv)], ResyncReasonKey.String(string(r)))...))}
	}
	got, _ := o.topics.LoadOrStore(label, s)
	return got.(*topicSet)
}

// Published implements hub.Observer.
func (o *Observer) Published(topic string) {
	o.published.Add(context.Background(), 1, o.topicSet(topic).add...)
}

// Subscribed implements hub.Observer.
func (o *Observer) Subscribed(topic string) {
	o.subscribers.Add(context.Background(), 1, o.topicSet(topic).add...)
}

// Unsubscribed implements hub.Observer.
func (o *Observer) Unsubscribed(topic string) {
	o.subscribers.Add(context.Background(), -1, o.topicSet(topic).add...)
}

// Dropped implements hub.Observer.
func (o *Observer) Dropped(topic string, events int64) {
	o.dropped.Add(context.Background(), events, o.topicSet(topic).add...)
}

// SlowDisconnected implements hub.Observer.
func (o *Observer) SlowDisconnected(topic string, subscribers int) {
	o.slow.Add(context.Background(), int64(subscribers), o.topicSet(topic).add...)
}

// Resynced implements hub.Observer. A reason this version does not know
// is counted as "unavailable".
func (o *Observer) Resynced(topic string, reason hub.Reason) {
	ts := o.topicSet(topic)
	opts, ok := ts.resyncs[reason]
	if !ok {
		opts = ts.resyncs[hub.ReasonUnavailable]
	}
	o.resyncs.Add(context.Background(), 1, opts...)
}

// BackendGap implements hub.Observer.
func (o *Observer) BackendGap(topic string) {
	o.gaps.Add(context.Background(), 1, o.topicSet(topic).add...)
}

// BackendDisconnected implements hub.BackendObserver.
func (o *Observer) BackendDisconnected(error) { o.lost.Add(context.Background(), 1) }

// BackendReconnected implements hub.BackendObserver.
func (o *Observer) BackendReconnected() { o.reconnects.Add(context.Background(), 1) }

var (
	_ core.Observer       = (*Observer)(nil)
	_ hub.Observer        = (*Observer)(nil)
	_ hub.BackendObserver = (*Observer)(nil)
)
