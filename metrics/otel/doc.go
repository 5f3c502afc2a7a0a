// Package streamotel reports the streams of a streamkit core.Registry and
// the events of a hub.Hub through the OpenTelemetry metric and trace APIs.
// It depends on the APIs only; the application chooses the SDK and
// exporters.
//
//	o, err := streamotel.New(&streamotel.Options{MeterProvider: mp, TracerProvider: tp})
//	if err != nil { ... }
//	reg := &core.Registry{Observer: o}
//	h := hub.New(&hub.Options{Registry: reg}) // the hub takes o from reg
//
// # Metrics
//
// Stream instruments carry streamkit.stream.kind (and http.route with
// [Options.Routes]); streamkit.streams.ended adds
// streamkit.stream.end_reason:
//
//	streamkit.streams.active               up-down counter  {stream}  streams open now
//	streamkit.streams.opened               counter          {stream}  streams opened
//	streamkit.streams.ended                counter          {stream}  streams ended, by reason
//	streamkit.stream.duration              histogram        s         life of each ended stream
//	streamkit.stream.time_to_first_event   histogram        s         opening to first event flushed
//	streamkit.stream.sent.events           counter          {event}   events (records, chunks) flushed
//	streamkit.stream.sent.bytes            counter          By        body bytes flushed
//
// Hub instruments carry no attribute by default, streamkit.hub.topic with
// [Options.Topic]; streamkit.hub.resyncs adds streamkit.hub.resync_reason:
// streamkit.hub.published, streamkit.hub.subscribers (up-down),
// streamkit.hub.dropped, streamkit.hub.slow_disconnects,
// streamkit.hub.resyncs, streamkit.hub.backend.gaps,
// streamkit.hub.backend.disconnects and streamkit.hub.backend.reconnects.
//
// # Spans
//
// Each stream has a span named "stream <kind>", of kind internal, from the
// moment it opened to its end, a child of the request's context (so of the
// HTTP server span when the server is instrumented). OpenTelemetry's HTTP
// conventions leave the end of a long-lived response's server span open;
// keeping the stream's life in a span and histograms of its own keeps
// http.server.request.duration meaningful. The span has a "first event"
// span event, and ends with streamkit.stream.end_reason,
// streamkit.stream.events and streamkit.stream.bytes. Its status is Error
// only when the stream ended on a write error (core.EndError); a client
// that leaves, or one cut off for being slow, is an ordinary end.
package streamotel
