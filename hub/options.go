package hub

import (
	"strconv"
	"time"

	"github.com/streamkit/streamkit/core"
)

// Defaults of [Options] and [History].
const (
	DefaultQueueSize   = 256
	DefaultMaxEvents   = 1000
	DefaultMaxBytes    = 1 << 20
	DefaultResyncEvent = "resync"
)

// MaxQueueSize is the largest [Options.QueueSize]; larger values are lowered
// to it. Each topic with subscribers holds a ring of at most twice its queue
// size in pointers.
const MaxQueueSize = 1 << 20

// Options configures a [Hub]. The zero value, and a nil *Options, mean the
// defaults: an in-memory backend keeping the last 1000 events (at most
// 1 MiB) of each topic, a queue of 256 events per subscriber with the
// [DropOldest] policy, resync events named "resync", no registry.
type Options struct {
	// Backend stores the topics' histories and carries their live events;
	// nil means a [MemoryBackend] made from History and Now, which the hub
	// owns and closes. A backend passed here is not closed by the hub.
	Backend Backend

	// History bounds each topic's history in the default backend. It is
	// ignored when Backend is set: configure that backend instead.
	History History

	// Now is the default backend's clock, for the age of events; nil
	// means time.Now. Tests inject a fake clock here.
	Now func() time.Time

	// QueueSize is how many events a subscriber may fall behind the live
	// feed before Policy applies; 0 means [DefaultQueueSize], and it is at
	// most [MaxQueueSize]. The queue
	// is not copied per subscriber: every subscriber of a topic reads from
	// one shared ring of the last events, and its queue is the part of the
	// ring it has not read yet.
	QueueSize int

	// Policy is what happens to a subscriber whose queue is full.
	Policy SlowPolicy

	// ResyncEvent is the event type of resync signals (see [Reason]); ""
	// means [DefaultResyncEvent]. It must be valid UTF-8 without CR, LF or
	// NUL: [New] panics otherwise.
	ResyncEvent string

	// Observer, when set, sees the hub's publishes, subscribers, drops,
	// resyncs and backend gaps (see [Observer]). Nil means the
	// Registry's observer when that implements [Observer], else none.
	Observer Observer

	// Registry, when set, counts the events dropped for slow subscribers
	// ([core.Registry.CountDropped]) and the subscribers cut off for being
	// slow ([core.Registry.CountSlowDisconnect]). Pass the registry of the
	// streams that serve the hub, so that its stats cover both.
	Registry *core.Registry
}

// History bounds the events a topic keeps for subscribers that resume. The
// oldest events go first when any bound is exceeded. The zero value means
// the defaults: [DefaultMaxEvents] events, [DefaultMaxBytes] bytes, no age
// limit.
type History struct {
	// MaxEvents is the most events kept; 0 means [DefaultMaxEvents]; a
	// negative value keeps none, so that only subscribers that are up to
	// date can resume without a resync.
	MaxEvents int

	// MaxBytes bounds the sum of the events' type and data lengths; 0
	// means [DefaultMaxBytes]; a negative value means no bound. The newest
	// event is kept even when it alone is larger.
	MaxBytes int64

	// MaxAge drops events older than this; 0 means no age limit.
	MaxAge time.Duration
}

func (h History) normalized() History {
	if h.MaxEvents == 0 {
		h.MaxEvents = DefaultMaxEvents
	}
	if h.MaxEvents < 0 {
		h.MaxEvents = 0
	}
	if h.MaxBytes == 0 {
		h.MaxBytes = DefaultMaxBytes
	}
	if h.MaxAge < 0 {
		h.MaxAge = 0
	}
	return h
}

// SlowPolicy chooses what happens to a subscriber that falls more than
// [Options.QueueSize] events behind. Either way the publisher and the other
// subscribers never wait for it.
type SlowPolicy int

const (
	// DropOldest discards the subscriber's oldest unread event for each
	// new one, so it keeps the newest QueueSize; before the next event it
	// reads, the subscriber gets a resync signal with [ReasonDropped].
	// Each discarded event is counted with
	// [core.Registry.CountDropped]. It suits feeds where the latest state
	// matters more than every step.
	DropOldest SlowPolicy = iota

	// Disconnect ends the subscription: its next read returns an error
	// matching [ErrSlowSubscriber], and [Hub.ServeSSE] ends the stream
	// with a resync signal with [ReasonSlow]. It is counted with
	// [core.Registry.CountSlowDisconnect]. The client reconnects with its
	// Last-Event-ID and resumes from the history without a gap if its
	// events are still there, which they are when the history is longer
	// than the queue.
	Disconnect
)

// String returns "drop-oldest" or "disconnect".
func (p SlowPolicy) String() string {
	switch p {
	case DropOldest:
		return "drop-oldest"
	case Disconnect:
		return "disconnect"
	}
	return "SlowPolicy(" + strconv.Itoa(int(p)) + ")"
}
