package hub

import (
	"context"
	"time"
)

// Message is what a publisher sends to a topic: an event type and its data.
// The hub assigns the event's ID.
type Message struct {
	// Type is the SSE event name; "" means the client's default,
	// "message". It must be valid UTF-8 without CR, LF or NUL.
	Type string
	// Data is the payload, any text; line breaks are allowed.
	Data string
	// Key, when set, makes the publish idempotent: publishing a message
	// with the same Key to the same topic again, within the backend's
	// window (see [DefaultKeyWindow]), stores nothing and returns the ID
	// the first publish was given. A publisher that retries after an error
	// or a timeout, when it cannot know whether the event was stored,
	// reuses the Key and so never creates a duplicate. It must be 1 to 128
	// bytes of printable ASCII ([ValidKey]); "" means no de-duplication.
	// The key itself is not delivered to subscribers.
	Key string
}

// DefaultKeyWindow is how long a backend remembers a [Message.Key] unless
// configured otherwise. It matches NATS JetStream's default duplicate
// window, so a publisher's retry budget fits every backend.
const DefaultKeyWindow = 2 * time.Minute

// ValidKey reports whether k can be a [Message.Key]: 1 to 128 bytes of
// printable ASCII, no spaces.
func ValidKey(k string) bool {
	if len(k) == 0 || len(k) > 128 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// Record is an event as a [Backend] stores it: its position and message.
type Record struct {
	Pos  Position
	Type string
	Data string
}

// Batch is the answer to [Backend.Read].
type Batch struct {
	// Records are the events after the position asked for, oldest first,
	// with consecutive offsets of Head's epoch.
	Records []Record

	// Head is the position of the topic's last event when the read was
	// made: its epoch, and the offset of its last event (0 when it has
	// none yet). A topic the backend has never heard of has the zero Head.
	Head Position

	// Lost reports that the events right after the position asked for are
	// no longer available: the position is of another epoch than Head, or
	// older than the oldest event retained (some events after it were
	// dropped), or beyond Head. Records is then empty.
	Lost bool
}

// Backend stores each topic's bounded history and carries its live events.
// A [Hub] uses one backend for all its topics; [NewMemoryBackend] is the
// in-process one, and a shared store (Redis, say) lets hubs on several
// machines serve the same topics.
//
// All methods are safe for concurrent use. Calls that take a context stop
// waiting when it ends and return an error; any other error (a store that
// is down) is returned as is and the hub wraps it, so a publisher sees that
// its event was not stored, and subscribers get a resync if events were
// lost meanwhile.
//
// # What the hub relies on
//
// Per topic, positions form one sequence: Append gives each event the next
// offset of the current epoch (1, 2, 3, ... with no holes), stores it and
// then notifies subscribers, as one atomic step, so that every Listener of
// the topic, in every process, sees events in offset order. A store that
// cannot keep its history (it restarted empty, the topic expired) starts a
// new epoch, from offset 1; an epoch is never reused.
//
// A hub keeps one backend subscription per topic that has local
// subscribers, however many clients read it, and closes it when the last
// one leaves. It detects holes in the live feed by offset, fills them with
// Read, and sends a resync to its subscribers when it cannot.
//
// Package [github.com/streamkit/streamkit/hub/hubtest] checks a backend
// against this contract; run it from the backend's tests.
//
// # A Redis backend, for orientation
//
// Keys per topic: a counter, an epoch, and a Stream capped with
// XADD MAXLEN. Append runs one Lua script: read the epoch (SET NX a
// [NewEpoch] passed in by the caller when there is none), INCR the counter,
// XADD the entry under ID "<offset>-0", PUBLISH the epoch, offset, type and
// data on the topic's channel, and return the epoch and offset. A missing
// counter with an existing epoch means the keys expired or were evicted:
// the script then starts a new epoch. Read runs a script
// that returns the epoch, the counter, the first entry's ID and an XRANGE
// from the exclusive bound "(<offset>-0" with COUNT. Subscribe SUBSCRIBEs
// one shared Pub/Sub connection to the channel, waits for the confirmation,
// then reads the head; after the connection drops and comes back it calls
// Listener.Gap, and the hub catches up with Read.
type Backend interface {
	// Append stores m as the next event of topic and returns its position;
	// then, or as part of the same step, it notifies the topic's Listeners.
	// Each position is returned once, except under a [Message.Key]: a
	// message whose Key was appended to the topic within the backend's key
	// window is not stored again, nor delivered, and Append returns the
	// position it was first given. Without a Key, a retry after an error
	// may store the event twice, under two positions. The topic name has
	// been checked with [ValidTopic], the message type is valid, and so is
	// the Key when set.
	Append(ctx context.Context, topic string, m Message) (Position, error)

	// Read returns up to limit events of topic after position after,
	// oldest first, and the topic's head; see [Batch]. The zero after
	// means "from the oldest event retained" and is never Lost. The hub
	// asks for a few hundred events at a time and does not modify the
	// records, so a backend may share their strings with its storage.
	Read(ctx context.Context, topic string, after Position, limit int) (Batch, error)

	// Subscribe starts delivering topic's live events to l and returns the
	// topic's head at the moment delivery started, plus a function that
	// stops the delivery. Every event appended after head is passed to
	// l.Event in offset order, unless l.Gap reports that some were missed.
	// Events at or before head may be delivered too; the hub ignores them.
	//
	// ctx bounds the setup only. A topic without events gets its epoch
	// here, so the head is never the zero Position. The stop function is
	// idempotent, does not wait for calls in flight, and may be called from
	// any goroutine but l's; after it returns, l receives few or no more
	// calls.
	Subscribe(ctx context.Context, topic string, l Listener) (head Position, stop func(), err error)

	// Close releases the backend's resources. Calls after Close return
	// errors matching [ErrClosed].
	Close() error
}

// BatchAppender is implemented by a [Backend] that stores several messages
// in one step (one round trip to its store), which [Hub.PublishBatch] then
// uses instead of one Append per message.
//
// AppendBatch stores msgs as the next events of topic, in their order, and
// returns the position of each, as Append would have one by one: a message
// whose Key was stored within the key window, earlier or in the same batch,
// is not stored again and gets the first position. Listeners get the
// events in offset order as any others. Events other publishers append
// meanwhile may come between the batch's events but never reorder them.
// On an error, the messages of the returned positions (a prefix of msgs)
// were stored and the others may or may not have been: appending them
// again with their Keys stores each at most once. The topic, the types
// and the Keys have been checked as for Append.
type BatchAppender interface {
	AppendBatch(ctx context.Context, topic string, msgs []Message) ([]Position, error)
}

// Listener receives one topic's live events from a [Backend]. The hub
// implements it; backends call it.
//
// A backend calls a Listener's methods one at a time, never concurrently,
// and in order. The methods may take a while (the hub encodes the event and
// wakes its subscribers) and may call the backend's Read, so a backend must
// not hold a lock that Read needs while calling them.
type Listener interface {
	// Event delivers the next event of the topic.
	Event(r Record)

	// Gap reports that events may have been missed: the connection to the
	// store was lost and is back, or notifications were dropped. err says
	// why, for logs. The hub reads the history to catch up.
	Gap(err error)
}
