// Package redishub is a [hub.Backend] on Redis, so that hubs in several
// processes serve the same topics: an event published through any of them
// reaches the subscribers of all, and a client that reconnects to another
// process resumes from the shared history without a gap or a duplicate.
//
//	b, err := redishub.Open(ctx, "redis://127.0.0.1:6379/0", nil)
//	if err != nil { ... }
//	defer b.Close() // after h.Close
//	h := hub.New(&hub.Options{Backend: b})
//
// It needs Redis 6.2 or later (or Valkey), for exclusive XRANGE bounds.
//
// # Layout in Redis
//
// Each topic has a hash with its epoch and last offset, a Stream that keeps
// its last [Options.MaxLen] events under the IDs "<offset>-0", and a
// Pub/Sub channel. Keys and channel start with [Options.Prefix] and carry
// the topic as a hash tag, "streamkit:{chat}:m", "streamkit:{chat}:s" and
// "streamkit:{chat}", so that one script may touch both keys in Redis
// Cluster.
//
// A publish is one Lua script: give the topic an epoch if it has none,
// HINCRBY its offset, XADD the event with MAXLEN, and PUBLISH it tagged
// with its epoch and offset. Being one script, it is atomic: every process
// sees the topic's events in offset order, with no holes, and a history
// that Redis lost (FLUSHALL, a restart without persistence, an eviction, an
// expiry) gets a new random epoch on its next publish or subscription, so
// that IDs from before are recognised as stale and their clients get a
// resync instead of silently missing events.
//
// # Why Pub/Sub rather than blocking XREAD
//
// Live events arrive through Pub/Sub, and the Stream serves only history.
// One Pub/Sub connection per process carries every topic it subscribes to,
// SUBSCRIBEd and UNSUBSCRIBEd as topics gain their first local listener
// and lose their last, and Redis pushes each event to exactly the
// processes that listen. A blocking XREAD holds its connection for the
// whole wait, so following many topics means either one XREAD over all of
// them, re-issued with the full key list after every answer and every time
// the set of topics changes, or a connection per topic; and each reader
// polls again after each batch. Pub/Sub loses what is published while a
// connection is down, which the Stream makes up for: after a reconnect,
// the backend reports a gap (Listener.Gap) and the hub reads the missed
// events from the history by offset. The offsets also let the hub skip an
// event it already has and notice a hole, which it fills the same way.
//
// # Connections
//
// A Backend uses one Pub/Sub connection, opened when the first topic is
// subscribed, plus the client's pool for publishes and reads. The hub
// subscribes the backend once per topic with local subscribers, and the
// backend multiplexes those topics on its one connection: the number of
// connections to Redis depends on neither the number of clients nor the
// number of topics.
//
// # Failures
//
// Every operation is bounded by [Options.Timeout] (and its caller's
// context): while Redis is down or unresponsive, Publish and Subscribe
// fail within that time, never hang, with an error matching
// [ErrUnavailable] (answer it with 503). For the bound to reach the
// socket, the go-redis client needs ContextTimeoutEnabled, which [Open]
// sets.
//
// When the Pub/Sub connection fails (Redis restarted, the network broke,
// or it stayed silent for two [Options.PingInterval]s), the backend opens a
// new one with a backoff of 50 ms doubling to 2 s, subscribes every topic
// again, and then reports a gap to their listeners. The hub reads the
// history after the last event it delivered: if Redis kept it, subscribers
// resume with no loss; if Redis came back empty or the history was
// trimmed past that point, they get a resync event.
//
// # Trimming and expiry
//
// By default each publish trims its topic's stream to exactly MaxLen
// entries. [Options.ApproxTrim] lets Redis trim a whole stream node at a
// time, which is cheaper and keeps somewhat more. [Options.TTL] makes the
// keys of a topic without publishes expire.
package redishub
