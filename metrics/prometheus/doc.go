// Package streamprom exports the streams of a streamkit core.Registry and
// the events of a hub.Hub as Prometheus metrics.
//
// A [Collector] is at once the registry's core.Observer, the hub's
// hub.Observer and a shared backend's hub.BackendObserver. Create one,
// register it, and hand it to the registry (the hub picks it up from its
// registry when it has no observer of its own):
//
//	m := streamprom.New(nil)
//	prometheus.MustRegister(m)
//	reg := &core.Registry{Observer: m}
//	h := hub.New(&hub.Options{Registry: reg})
//	http.Handle("GET /metrics", promhttp.Handler())
//
// # Metrics
//
// Stream metrics carry a "kind" label (sse, ndjson, chunked, relay, or
// other), and a "route" label with [Options.Routes]:
//
//	streamkit_streams_active                      gauge      streams open now
//	streamkit_streams_opened_total                counter    streams opened
//	streamkit_streams_ended_total{reason}         counter    streams ended, by reason
//	streamkit_stream_duration_seconds             histogram  life of each ended stream
//	streamkit_stream_time_to_first_event_seconds  histogram  opening to first event flushed
//	streamkit_stream_sent_events_total            counter    events (records, chunks) flushed
//	streamkit_stream_sent_bytes_total             counter    body bytes flushed
//
// The reasons are core.EndReason's: closed, client_gone, write_timeout,
// slow_client, shutdown, lifetime and error. A stream's duration is kept
// out of any HTTP request-duration metric: a subscription that lives an
// hour says nothing about how fast a server answers.
//
// Hub metrics carry no label by default, a "topic" label with
// [Options.Topic], and hub_resyncs_total a "reason":
//
//	streamkit_hub_published_events_total   counter  events published
//	streamkit_hub_subscribers              gauge    subscriptions open now
//	streamkit_hub_dropped_events_total     counter  events dropped for slow subscribers
//	streamkit_hub_slow_disconnects_total   counter  subscribers cut off for falling behind
//	streamkit_hub_resyncs_total{reason}    counter  resync signals delivered
//	streamkit_hub_backend_gaps_total       counter  gaps in a topic's live feed
//	streamkit_hub_backend_disconnects_total counter live-feed connection lost
//	streamkit_hub_backend_reconnects_total counter  live-feed connection restored
//
// # Cardinality
//
// No label takes a value from a client. Topic names and client IDs never
// become labels unless [Options.Topic] maps them onto a fixed set; route
// labels are patterns, never paths.
package streamprom
