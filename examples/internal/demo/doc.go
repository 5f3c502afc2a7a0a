// Package demo holds what the five example servers share and what is not
// about any web framework: the flags, the hub, parameter parsing with the
// plain-text reasons of 400 answers, the tick and download generators, the
// upload's progress reports, the embedded page and the graceful shutdown.
//
// The handlers themselves live in each server's main package (nethttp, gin,
// echo, echov5, hertz), written with that framework's router and streamkit
// adapter, so that a reader can put the five side by side. Every server serves the
// routes of the demo-app contract in DESIGN.md with the same behaviour; the
// end-to-end suite in examples/e2e checks each of them against it.
//
// # Parameters
//
// Parsers take a [Query], a lookup that each framework builds from its own
// query accessor ([URLQuery] for net/http, gin and echo). They return an
// error whose message is the whole plain-text reason to send with 400 Bad
// Request, before anything is streamed.
//
// A query string net/url refuses gets 400 on every route, before the
// handler ([CheckQuery], [RejectBadQuery]): net/http's URL.Query would
// drop it whole, and the handler would act on defaults.
//
// # Limits
//
// Every server runs with the limits in limits.go, each documented with
// the attack or accident it stops: [MaxHeaderBytes], [ReadHeaderTimeout]
// and [IdleTimeout] on the connection ([Limit]); -max-streams on the
// registry ([Config.Registry]); -max-upload, -upload-idle and
// -upload-min-rate on uploads ([Config.UploadOptions]). POST
// /topics/{topic} ([Publish]) takes an Idempotency-Key header, so that a
// client may retry a publish without creating a duplicate.
//
// # Several servers on one Redis or NATS
//
// With -redis redis://host:port/db, [NewHub] keeps the topics in Redis
// (hub/redishub) instead of in memory; with -nats nats://host:port, in
// NATS JetStream (hub/natshub); the two flags exclude each other. Either
// way any number of example servers, of any framework, serve the same
// topics: an event posted to one reaches the subscribers of all, with one
// sequence of event IDs, and a client resumes on any server from the
// shared history. While the backend is down or hung, publishing and
// subscribing answer 503 within [RedisTimeout] or [NATSTimeout]; a server
// that cannot reach it at start exits. On NATS, an idle topic's stream is
// deleted once its last event is [TopicMaxAge] old.
//
// # Metrics and traces
//
// [NewTelemetry] makes the registry report to Prometheus (metrics/prometheus),
// served at GET /metrics, and with -otel-stdout also to OpenTelemetry
// (metrics/otel) with the SDK's stdout exporters: one span per stream, and
// the metrics every [OTelInterval] and at shutdown. The hub, and the Redis
// backend's connection, report to the same observer. The page's stats panel
// charts active streams and events per second from /metrics.
package demo
