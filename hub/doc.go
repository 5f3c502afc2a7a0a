// Package hub fans events out to the subscribers of named topics, with a
// bounded history per topic so that clients resume after a reconnect, and
// with slow subscribers kept from holding anyone back.
//
// # Publishing and subscribing
//
// A [Hub] is created once and shared. [Hub.Publish] sends a [Message] (an
// event type and data) to a topic and returns the event ID the hub gave it;
// [Hub.PublishBatch] sends several in order, in one round trip to a backend
// that implements [BatchAppender] (Redis, NATS, the memory backend).
// [Hub.Subscribe] returns a [Subscription] to a topic, and [Hub.ServeSSE]
// serves it on an [sse.Stream] from a handler, end to end; subscribe before
// opening the stream, so that nothing published once the client sees the
// stream open is missed. [Subscription.Next] reads events some other way. Topic names are 1 to 64 ASCII letters, digits, '.', '_' and '-'
// ([ValidTopic]); anything else fails with [ErrInvalidTopic], which handlers
// answer with 400.
//
// # IDs, history and resync
//
// Event IDs are "<epoch>-<offset>" (see [Position]): the offset counts the
// topic's events, and the epoch changes whenever a history is lost, such as
// when a process with the in-memory backend restarts. Each topic keeps its
// last events within [History] bounds (count, bytes, age). A subscriber that
// comes back with a Last-Event-ID still in the history gets exactly the
// events after it, then the live ones: no gap, no duplicate. Otherwise it
// first gets a resync signal, an event of type "resync" (see
// [Options.ResyncEvent]) whose data is
//
//	{"reason":"evicted","last_id":"<the ID after which events follow>"}
//
// and then the live events, so a client is never left silently missing
// events: on a resync it refetches whatever it derives from the topic. The
// same signal comes when events were dropped for a slow subscriber, or lost
// by the backend. Client IDs are parsed as hostile input ([ParseID]).
//
// # Fan-out and slow subscribers
//
// An event is encoded once, with sse.AppendEvent, into bytes that every
// subscriber writes as they are. Each topic keeps a ring of its latest
// events; a subscriber's queue is the part of the ring it has not read,
// bounded by [Options.QueueSize]. Publishing stores the event in the ring
// and wakes each subscriber with a non-blocking signal; it never waits for
// one, and costs the same allocations for ten subscribers or a hundred
// thousand. A topic with tens of thousands of subscribers shares the
// wake-ups between the publisher and a few goroutines of its own, one per
// further processor, started by the first publish that needs them and
// stopped when the topic shrinks or the hub is closed. Over a topic of a
// thousand subscribers or more, the publisher's wake loop, and each of
// these goroutines', lets the readers it has woken run every few dozen,
// while their data is still in the processor's cache. Such a publish returns once the readers woken on its
// processor have had a turn, each until it waits again (for its next event,
// or for its client's socket), and the last reader has the event sooner.
// When a subscriber's queue is full, [Options.Policy] applies: [DropOldest]
// (it gets a resync, then the newest events) or [Disconnect] (it is cut off
// with [ErrSlowSubscriber] and told where to resume). Both are counted in
// [Options.Registry]. No goroutine runs per subscriber: each reads its
// subscription from its own handler.
//
// # Backends
//
// A [Backend] stores the histories and carries live events; the default is
// the in-process [MemoryBackend]. A shared store lets several processes
// serve the same topics: the hub keeps one backend subscription per topic
// with local subscribers, never one per client, and fills holes in the
// live feed from the history. See [Backend] for the contract.
//
// # Shutdown
//
// Call core.Registry's Shutdown first, so that streams send their farewell
// and end at spread-out moments, then [Hub.Close], which ends the remaining
// subscriptions.
package hub
