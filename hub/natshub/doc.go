// Package natshub is a [hub.Backend] on NATS JetStream, so that hubs in
// several processes serve the same topics: an event published through any
// of them reaches the subscribers of all, and a client that reconnects to
// another process resumes from the shared history without a gap or a
// duplicate.
//
//	b, err := natshub.Open(ctx, "nats://127.0.0.1:4222", nil)
//	if err != nil { ... }
//	defer b.Close() // after h.Close
//	h := hub.New(&hub.Options{Backend: b})
//
// It needs nats-server 2.9 or later with JetStream enabled (-js), and uses
// nothing newer: direct gets, consumers created by name, pull requests with
// heartbeats.
//
// # Layout in NATS
//
// Each topic is a stream, "<Prefix>_<topic>", that stores the one subject
// "<Prefix>.<topic>" ("streamkit_chat" and "streamkit.chat" by default); in
// both names a '_' of the topic becomes "__" and a '.' becomes "_-", so
// that every topic has its own stream and its subject is one token. An
// event is a message on the subject: its data is the event's data, and a
// Streamkit-Type header carries its type, escaped; a message someone else
// publishes there is an event of the default type.
//
// An event's offset is its stream sequence number, which JetStream assigns
// in order, one by one, as it stores the event: every process sees the
// topic's events in offset order, with no holes. The epoch is written into
// the stream's description when the backend creates the stream (streams
// made by hand get one derived from their creation time). Deleting a
// stream and creating it again, or a server that comes back without its
// store, gives the topic a new epoch, so that IDs from before are
// recognised as stale and their clients get a resync with the reason
// "epoch". A purge keeps the sequence going: IDs before it get a resync
// with the reason "evicted".
//
// # History
//
// A stream per topic makes the hub's bounds JetStream's own: [Options]'s
// History.MaxEvents, MaxBytes and MaxAge become the stream's MaxMsgs,
// MaxBytes and MaxAge, per topic (with one subject per stream, MaxMsgs and
// MaxMsgsPerSubject are the same thing). JetStream counts a message's
// bytes as its subject, headers and data plus some overhead, so MaxBytes
// keeps somewhat fewer events than the in-memory backend would. The limits
// are set when the stream is created; change them with the nats tool
// (nats stream edit) afterwards.
//
// Live events are read from the stream too, so the bounds also limit how
// far a process's feed may fall behind: events trimmed before it read them
// reach its subscribers as a resync.
//
// # Idle topics
//
// A stream outlives its events: with MaxAge, an old topic's stream stays,
// empty. [Options.DeleteIdle] has the backend delete the streams it made
// whose last event (or creation) is that old and that nobody reads: no
// consumer, so no process has listeners on the topic. One-off topics
// (one per upload, say) then cost nothing once they are done. A client
// coming back later with an ID of the deleted stream gets a resync with
// the reason "epoch". A publish that reaches a topic at the very moment
// its stream is deleted may be lost with it; it then fails with
// [ErrUnavailable] (or, rarely, succeeds with an ID of the deleted
// stream), and the next publish creates the stream again.
//
// nats-server 2.9 frees a deleted stream's name before it removes its
// files, so a stream created again in between (by a publish or a
// subscription of any process in those milliseconds) loses its files.
// Most often every publish to it then fails with a store error: the
// backend recognises it, deletes the broken stream and creates it again
// (it stored nothing, so nothing is lost). Sometimes the broken stream
// acknowledges publishes without keeping them, which nothing reports;
// so set DeleteIdle only where a topic is rarely used again after a long
// silence (one-off topics), and long enough that a stream is never
// deleted while it is being set up.
//
// # Live events
//
// For each topic with subscribers in this process, the backend creates one
// ephemeral pull consumer (acknowledgements off, state in memory) that
// starts right after the head it reports, and a goroutine that hands its
// events to the hub. When the consumer fails (the connection came back,
// two heartbeats were missed, the consumer or the stream was deleted) the
// goroutine creates another from the sequence after the last event it
// delivered, so subscribers miss nothing and see nothing twice; if the
// stream was replaced, or the events are gone, the hub reads the history
// and sends a resync. When the topic's last subscriber leaves, the
// consumer is deleted; one the backend could not delete is removed by the
// server after its inactivity threshold.
//
// # Connections
//
// A Backend uses one NATS connection, whatever the number of topics and
// subscribers: publishes, history reads, stream and consumer management
// and every topic's consumer share it, each consumer as one subscription.
//
// # Publishing, retries and batches
//
// A publish waits for JetStream's acknowledgement, and carries a
// Nats-Msg-Id: when the connection drops while the answer is due, the
// backend sends it again on the next connection and JetStream stores it
// once. A message's [hub.Message.Key] becomes its Nats-Msg-Id, so that the
// caller's own retries (after an error, or from another process) are as
// safe. JetStream remembers IDs for [Options.Duplicates].
//
// [Backend.AppendBatch] stores many events in one round trip, chaining
// each message to the one before with Nats-Expected-Last-Msg-Id so that
// JetStream keeps their order even when one is lost on the way.
//
// # Failures
//
// While the connection is down, Publish, Subscribe and Read fail at once
// with an error matching [ErrUnavailable]; while the server does not
// answer (frozen, overloaded) they fail within [Options.Timeout]. Answer it
// with 503. Subscribers already live are kept: their feeds are rebuilt
// once the server answers again.
package natshub
