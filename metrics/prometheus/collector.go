package streamprom

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
)

// DefaultNamespace starts every metric name.
const DefaultNamespace = "streamkit"

// Default histogram buckets, in seconds.
var (
	// DefaultDurationBuckets spans a stream's life: from a one-shot
	// response to a day-long subscription.
	DefaultDurationBuckets = []float64{0.1, 1, 10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600}

	// DefaultFirstEventBuckets spans the time from opening a stream to its
	// first event: a replay sent at once, or a producer that thinks first.
	DefaultFirstEventBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
)

// OtherKind is the kind label of a stream built with core.New and no
// core.Options.Kind.
const OtherKind = "other"

// Options configures a [Collector]. The zero value, and a nil *Options,
// mean the defaults: names under "streamkit_", streams labelled by kind
// only, hub metrics without a topic label.
type Options struct {
	// Namespace starts every metric name; "" means [DefaultNamespace].
	Namespace string

	// ConstLabels are added to every metric, such as the server's role.
	ConstLabels prometheus.Labels

	// Routes adds a "route" label to the stream metrics: the route
	// pattern that matched the request (see core.StreamInfo.Route), ""
	// when the adapter does not know it. Patterns are a fixed set, so the
	// label stays bounded.
	Routes bool

	// Topic, when set, adds a "topic" label to the hub metrics, whose
	// value is Topic(name). Topic names come from clients: the function
	// must map them onto a small fixed set (a prefix before the first
	// dot, say, or "other"), or the series grow without bound. Nil means
	// no topic label.
	Topic func(topic string) string

	// DurationBuckets and FirstEventBuckets are the histograms' upper
	// bounds in seconds; nil means [DefaultDurationBuckets] and
	// [DefaultFirstEventBuckets].
	DurationBuckets   []float64
	FirstEventBuckets []float64
}

// Collector is a prometheus.Collector of the streams of a core.Registry
// and the events of a hub.Hub. It is the registry's core.Observer, the
// hub's hub.Observer and a shared backend's hub.BackendObserver: set it as
// all three, and register it once with a prometheus.Registerer.
//
// A Collector is safe for concurrent use. It counts only what it is told
// from the moment it is set, so set it before the first stream opens.
type Collector struct {
	routes bool
	topic  func(string) string

	active     *prometheus.GaugeVec
	opened     *prometheus.CounterVec
	ended      *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	firstEvent *prometheus.HistogramVec
	events     *prometheus.CounterVec
	bytes      *prometheus.CounterVec

	published   *prometheus.CounterVec
	subscribers *prometheus.GaugeVec
	dropped     *prometheus.CounterVec
	slow        *prometheus.CounterVec
	resyncs     *prometheus.CounterVec
	gaps        *prometheus.CounterVec
	lost        prometheus.Counter
	reconnects  prometheus.Counter

	probes sync.Map // streamKey -> *probe
	topics sync.Map // mapped topic -> *topicMetrics
}

// resyncReasons are every hub.Reason, for the same purpose.
var resyncReasons = []hub.Reason{
	hub.ReasonMalformed, hub.ReasonUnknown, hub.ReasonEpoch, hub.ReasonEvicted,
	hub.ReasonDropped, hub.ReasonSlow, hub.ReasonUnavailable,
}

// New returns a Collector configured by opts.
func New(opts *Options) *Collector {
	var o Options
	if opts != nil {
		o = *opts
	}
	ns := o.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	if o.DurationBuckets == nil {
		o.DurationBuckets = DefaultDurationBuckets
	}
	if o.FirstEventBuckets == nil {
		o.FirstEventBuckets = DefaultFirstEventBuckets
	}
	stream := []string{"kind"}
	if o.Routes {
		stream = append(stream, "route")
	}
	var topic []string
	if o.Topic != nil {
		topic = []string{"topic"}
	}
	withReason := func(ls []string) []string { return append(append([]string(nil), ls...), "reason") }
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: name, Help: help, ConstLabels: o.ConstLabels,
		}, labels)
	}
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: name, Help: help, ConstLabels: o.ConstLabels,
		}, labels)
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: name, Help: help, ConstLabels: o.ConstLabels, Buckets: buckets,
		}, stream)
	}
	c := &Collector{
		routes: o.Routes,
		topic:  o.Topic,

		active: gauge("streams_active",
			"Streams open now.", stream),
		opened: counter("streams_opened_total",
			"Streams opened (admitted by the registry).", stream),
		ended: counter("streams_ended_total",
			"Streams ended, by reason: closed, client_gone, write_timeout, slow_client, shutdown, lifetime, error.", withReason(stream)),
		duration: histogram("stream_duration_seconds",
			"Life of each ended stream, from opening to its end.", o.DurationBuckets),
		firstEvent: histogram("stream_time_to_first_event_seconds",
			"Time from opening a stream to flushing its first event, for streams that sent one.", o.FirstEventBuckets),
		events: counter("stream_sent_events_total",
			"Messages flushed to clients (SSE events, NDJSON records, chunks), heartbeats excluded.", stream),
		bytes: counter("stream_sent_bytes_total",
			"Response body bytes flushed to clients, heartbeats included.", stream),

		published: counter("hub_published_events_total",
			"Events published to the hub and stored by its backend.", topic),
		subscribers: gauge("hub_subscribers",
			"Hub subscriptions open now.", topic),
		dropped: counter("hub_dropped_events_total",
			"Events dropped from slow subscribers' queues (drop-oldest policy).", topic),
		slow: counter("hub_slow_disconnects_total",
			"Subscribers cut off for falling behind (disconnect policy).", topic),
		resyncs: counter("hub_resyncs_total",
			"Resync signals delivered to subscribers, by reason.", withReason(topic)),
		gaps: counter("hub_backend_gaps_total",
			"Times the backend reported that a topic's live feed may have missed events.", topic),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "hub_backend_disconnects_total", ConstLabels: o.ConstLabels,
			Help: "Times the backend's live-feed connection was lost.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "hub_backend_reconnects_total", ConstLabels: o.ConstLabels,
			Help: "Times the backend's live-feed connection was restored after a loss.",
		}),
	}
	if c.topic == nil {
		c.topicMetrics("") // every series at zero from the first scrape
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.collectors() {
		m.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.collectors() {
		m.Collect(ch)
	}
}

func (c *Collector) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		c.active, c.opened, c.ended, c.duration, c.firstEvent, c.events, c.bytes,
		c.published, c.subscribers, c.dropped, c.slow, c.resyncs, c.gaps, c.lost, c.reconnects,
	}
}

// streamKey identifies the series of a stream.
type streamKey struct{ kind, route string }

// probe holds the series of one kind (and route) of stream, resolved once,
// and is the core.StreamProbe of every stream of that kind.
type probe struct {
	active     prometheus.Gauge
	opened     prometheus.Counter
	ended      map[core.EndReason]prometheus.Counter
	duration   prometheus.Observer
	firstEvent prometheus.Observer
	events     prometheus.Counter
	bytes      prometheus.Counter
}

// StreamOpened implements core.Observer.
func (c *Collector) StreamOpened(info core.StreamInfo) core.StreamProbe {
	k := streamKey{kind: info.Kind}
	if k.kind == "" {
		k.kind = OtherKind
	}
	if c.routes {
		k.route = info.Route
	}
	p := c.probe(k)
	p.opened.Inc()
	p.active.Inc()
	return p
}

func (c *Collector) probe(k streamKey) *probe {
	if p, ok := c.probes.Load(k); ok {
		return p.(*probe)
	}
	lv := []string{k.kind}
	if c.routes {
		lv = append(lv, k.route)
	}
	p := &probe{
		active:     c.active.WithLabelValues(lv...),
		opened:     c.opened.WithLabelValues(lv...),
		ended:      make(map[core.EndReason]prometheus.Counter, len(core.EndReasons())),
		duration:   c.duration.WithLabelValues(lv...),
		firstEvent: c.firstEvent.WithLabelValues(lv...),
		events:     c.events.WithLabelValues(lv...),
		bytes:      c.bytes.WithLabelValues(lv...),
	}
	for _, r := range core.EndReasons() {
		p.ended[r] = c.ended.WithLabelValues(append(lv[:len(lv):len(lv)], string(r))...)
	}
	got, _ := c.probes.LoadOrStore(k, p)
	return got.(*probe)
}

// FirstEvent implements core.StreamProbe.
func (p *probe) FirstEvent(after time.Duration) { p.firstEvent.Observe(after.Seconds()) }

// Sent implements core.StreamProbe.
func (p *probe) Sent(messages, bytes int64) {
	if messages > 0 {
		p.events.Add(float64(messages))
	}
	p.bytes.Add(float64(bytes))
}

// Ended implements core.StreamProbe.
func (p *probe) Ended(e core.StreamEnd) {
	p.active.Dec()
	ended, ok := p.ended[e.Reason]
	if !ok {
		ended = p.ended[core.EndError]
	}
	ended.Inc()
	p.duration.Observe(e.Duration.Seconds())
}

// topicMetrics holds the hub series of one topic label value.
type topicMetrics struct {
	published, dropped, slow, gaps prometheus.Counter
	subscribers                    prometheus.Gauge
	resyncs                        map[hub.Reason]prometheus.Counter
}

// topicMetrics returns the series of the mapped topic name label, creating
// them on first use.
func (c *Collector) topicMetrics(label string) *topicMetrics {
	if m, ok := c.topics.Load(label); ok {
		return m.(*topicMetrics)
	}
	var lv []string
	if c.topic != nil {
		lv = []string{label}
	}
	m := &topicMetrics{
		published:   c.published.WithLabelValues(lv...),
		dropped:     c.dropped.WithLabelValues(lv...),
		slow:        c.slow.WithLabelValues(lv...),
		gaps:        c.gaps.WithLabelValues(lv...),
		subscribers: c.subscribers.WithLabelValues(lv...),
		resyncs:     make(map[hub.Reason]prometheus.Counter, len(resyncReasons)),
	}
	for _, r := range resyncReasons {
		m.resyncs[r] = c.resyncs.WithLabelValues(append(lv[:len(lv):len(lv)], string(r))...)
	}
	got, _ := c.topics.LoadOrStore(label, m)
	return got.(*topicMetrics)
}

func (c *Collector) forTopic(topic string) *topicMetrics {
	if c.topic == nil {
		return c.topicMetrics("")
	}
	return c.topicMetrics(c.topic(topic))
}

// Published implements hub.Observer.
func (c *Collector) Published(topic string) { c.forTopic(topic).published.Inc() }

// Subscribed implements hub.Observer.
func (c *Collector) Subscribed(topic string) { c.forTopic(topic).subscribers.Inc() }

// Unsubscribed implements hub.Observer.
func (c *Collector) Unsubscribed(topic string) { c.forTopic(topic).subscribers.Dec() }

// Dropped implements hub.Observer.
func (c *Collector) Dropped(topic string, events int64) {
	c.forTopic(topic).dropped.Add(float64(events))
}

// SlowDisconnected implements hub.Observer.
func (c *Collector) SlowDisconnected(topic string, subscribers int) {
	c.forTopic(topic).slow.Add(float64(subscribers))
}

// Resynced implements hub.Observer. A reason this version does not know
// is counted as "unavailable".
func (c *Collector) Resynced(topic string, reason hub.Reason) {
	m := c.forTopic(topic)
	r, ok := m.resyncs[reason]
	if !ok {
		r = m.resyncs[hub.ReasonUnavailable]
	}
	r.Inc()
}

// BackendGap implements hub.Observer.
func (c *Collector) BackendGap(topic string) { c.forTopic(topic).gaps.Inc() }

// BackendDisconnected implements hub.BackendObserver.
func (c *Collector) BackendDisconnected(error) { c.lost.Inc() }

// BackendReconnected implements hub.BackendObserver.
func (c *Collector) BackendReconnected() { c.reconnects.Inc() }

var (
	_ prometheus.Collector = (*Collector)(nil)
	_ core.Observer        = (*Collector)(nil)
	_ hub.Observer         = (*Collector)(nil)
	_ hub.BackendObserver  = (*Collector)(nil)
)
