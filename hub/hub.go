package hub

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// pageSize is how many events a history read asks the backend for at once.
const pageSize = 256

// Hub fans events out to the subscribers of named topics, keeps a bounded
// history per topic so that clients resume after a reconnect without a gap,
// and keeps slow subscribers from holding anyone back. Create one with
// [New] and share it; all its methods are safe for concurrent use.
//
// Publishing stores the event in the [Backend] and, once per process,
// encodes it as an SSE event into one immutable []byte that every local
// subscriber of the topic writes as is. Delivery to subscribers never
// blocks: each has a bounded queue and a wake-up signal, and a full queue
// applies [Options.Policy]. No goroutine runs per subscriber: each reads its
// [Subscription] from its own handler goroutine.
type Hub struct {
	backend    Backend
	ownBackend bool
	queue      uint64
	ringSize   int
	policy     SlowPolicy
	resyncType string
	reg        *core.Registry
	obs        Observer
	closed     atomic.Bool
	wakers     atomic.Int64 // running wakers of all topics, for the tests
	// wakersExited counts the topics' wakers, for Close to wait for: those
	// a shrinking topic dropped included. None start once the topics are
	// closed.
	wakersExited sync.WaitGroup

	mu     sync.Mutex
	topics map[string]*topic
}

// New returns a Hub configured by opts; nil means the defaults (see
// [Options]). It panics, with a "hub: " message, on an invalid
// Options.ResyncEvent or Options.Policy.
func New(opts *Options) *Hub {
	var o Options
	if opts != nil {
		o = *opts
	}
	h := &Hub{
		backend:    o.Backend,
		policy:     o.Policy,
		resyncType: o.ResyncEvent,
		reg:        o.Registry,
		obs:        observerOf(&o),
		topics:     make(map[string]*topic),
	}
	if h.backend == nil {
		h.backend = NewMemoryBackend(&MemoryOptions{History: o.History, Now: o.Now})
		h.ownBackend = true
	}
	q := o.QueueSize
	if q <= 0 {
		q = DefaultQueueSize
	}
	q = min(q, MaxQueueSize)
	h.queue = uint64(q)
	// The shared ring holds more than a full queue, so that a reader never
	// finds its next event overwritten before its cursor was moved past it.
	h.ringSize = 1 << bits.Len(uint(q+1))
	if h.resyncType == "" {
		h.resyncType = DefaultResyncEvent
	}
	if !validType(h.resyncType) {
		panic(fmt.Sprintf("hub: Options.ResyncEvent %q cannot be an SSE event type", h.resyncType))
	}
	if h.policy != DropOldest && h.policy != Disconnect {
		panic(fmt.Sprintf("hub: unknown Options.Policy %d", int(h.policy)))
	}
	return h
}

// validType reports whether s can be an SSE event type.
func validType(s string) bool {
	return !strings.ContainsAny(s, "\r\n\x00") && utf8.ValidString(s)
}

// Publish stores m as the next event of topic, delivers it to the topic's
// subscribers, and returns the event's ID. It returns once the backend has
// stored the event; with the default backend the local subscribers have
// then been handed it too. It never waits for a subscriber.
//
// A publish that failed may still have been stored (a backend timed out
// waiting for an answer that was lost); retry it with the same
// [Message.Key] to be sure it is stored once.
//
// It fails with an error matching [ErrInvalidTopic] for a bad topic name,
// [ErrInvalidKey] for a bad Key,
// [sse.ErrInvalidField] for a message type SSE cannot carry, [ErrClosed]
// after [Hub.Close], or the backend's error; the event was then not
// published.
func (h *Hub) Publish(ctx context.Context, topic string, m Message) (string, error) {
	if !ValidTopic(topic) {
		return "", fmt.Errorf("hub: publish: %w", ErrInvalidTopic)
	}
	if !validType(m.Type) {
		return "", fmt.Errorf("hub: publish to %s: message type has a line break, a NUL or invalid UTF-8: %w",
			topic, sse.ErrInvalidField)
	}
	if m.Key != "" && !ValidKey(m.Key) {
		return "", fmt.Errorf("hub: publish to %s: %w", topic, ErrInvalidKey)
	}
	if h.closed.Load() {
		return "", fmt.Errorf("hub: publish to %s: %w", topic, ErrClosed)
	}
	pos, err := h.backend.Append(ctx, topic, m)
	if err != nil {
		return "", fmt.Errorf("hub: publish to %s: %w", topic, err)
	}
	if h.obs != nil {
		h.obs.Published(topic)
	}
	return pos.String(), nil
}

// PublishBatch publishes msgs to topic, in their order, and returns their
// IDs: what Publish returns for each, one by one, with the same guarantees
// for each message and its Key. A backend that implements [BatchAppender]
// stores the batch in one step (one round trip to Redis or NATS), which
// is several times the rate of one Publish per message; on another the
// messages are appended one after the other.
//
// Every message is checked before any is stored, with the errors of
// Publish. On an error from the backend, the returned IDs are those of the
// messages stored, a prefix of msgs; the others may or may not have been
// stored (see Publish for retrying with Keys).
func (h *Hub) PublishBatch(ctx context.Context, topic string, msgs []Message) ([]string, error) {
	if !ValidTopic(topic) {
		return nil, fmt.Errorf("hub: publish: %w", ErrInvalidTopic)
	}
	for _, m := range msgs {
		if !validType(m.Type) {
			return nil, fmt.Errorf("hub: publish to %s: message type has a line break, a NUL or invalid UTF-8: %w",
				topic, sse.ErrInvalidField)
		}
		if m.Key != "" && !ValidKey(m.Key) {
			return nil, fmt.Errorf("hub: publish to %s: %w", topic, ErrInvalidKey)
		}
	}
	if h.closed.Load() {
		return nil, fmt.Errorf("hub: publish to %s: %w", topic, ErrClosed)
	}
	var pos []Position
	var err error
	if ba, ok := h.backend.(BatchAppender); ok {
		pos, err = ba.AppendBatch(ctx, topic, msgs)
	} else {
		pos = make([]Position, 0, len(msgs))
		for _, m := range msgs {
			var p Position
			if p, err = h.backend.Append(ctx, topic, m); err != nil {
				break
			}
			pos = append(pos, p)
		}
	}
	ids := make([]string, len(pos))
	for i, p := range pos {
		ids[i] = p.String()
	}
	if err != nil {
		return ids, fmt.Errorf("hub: publish to %s: %w", topic, err)
	}
	return ids, nil
}

// Subscribe starts a subscription to topic for one reader, resuming after
// lastEventID: a client's Last-Event-ID, or "" for live events only. Read
// it with [Subscription.Next] and end it with [Subscription.Close].
//
// When lastEventID names an event still in the topic's history, the
// subscription delivers exactly the events after it, then the live ones,
// with no gap and no duplicate. Otherwise (malformed, unknown, from another
// epoch, or evicted) it first delivers a resync signal (see [Reason]) and
// then the live events. Malformed input is not an error: it is whatever a
// client sent.
//
// ctx bounds the setup only: starting the backend subscription for the
// first subscriber of a topic. Subscribe fails with an error matching
// [ErrInvalidTopic] for a bad topic name, [ErrClosed] after [Hub.Close], or
// the backend's error.
func (h *Hub) Subscribe(ctx context.Context, topic, lastEventID string) (*Subscription, error) {
	if !ValidTopic(topic) {
		return nil, fmt.Errorf("hub: subscribe: %w", ErrInvalidTopic)
	}
	t, err := h.acquire(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("hub: subscribe to %s: %w", topic, err)
	}
	s := &Subscription{hub: h, t: t, wake: make(chan struct{}, 1)}
	t.mu.Lock()
	s.cursor.Store(t.seq)
	head := t.last
	s.idx = len(t.subs)
	t.subs = append(t.subs, s)
	t.mu.Unlock()
	if h.obs != nil {
		h.obs.Subscribed(topic)
	}

	s.lastID = head.String()
	if lastEventID == "" {
		return s, nil
	}
	pos, ok := ParseID(lastEventID)
	switch {
	case !ok:
		s.backlog = append(s.backlog, h.resync(ReasonMalformed, s.lastID))
	case pos.Epoch != head.Epoch:
		s.backlog = append(s.backlog, h.resync(ReasonEpoch, s.lastID))
	case pos.Offset == head.Offset:
		// Up to date: the live events are exactly the ones it lacks.
	default:
		// Replay the history after pos, up to at least head; the live
		// events from head on that it also reads are skipped by offset.
		s.lastID = lastEventID
		s.replaying, s.resume, s.resumeTo = true, pos, head
	}
	return s, nil
}

// Close ends every subscription (their next read returns an error matching
// [ErrClosed], and [Hub.ServeSSE] closes its stream), stops the backend
// subscriptions, and closes the backend if the hub created it. Publish and
// Subscribe fail afterwards. Close is idempotent; it waits for the
// goroutines the hub runs to wake big topics' subscribers (see the
// package's "Fan-out and slow subscribers"), not for the subscribers'
// handlers to return.
//
// For a graceful shutdown, call [core.Registry.Shutdown] first, so that
// every stream sends its farewell (a reconnect hint) at a random moment,
// then Close the hub.
func (h *Hub) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	h.mu.Lock()
	ts := make([]*topic, 0, len(h.topics))
	for _, t := range h.topics {
		ts = append(ts, t)
	}
	clear(h.topics)
	h.mu.Unlock()
	for _, t := range ts {
		t.close()
	}
	h.wakersExited.Wait()
	if h.ownBackend {
		return h.backend.Close()
	}
	return nil
}

// acquire returns the local state of a topic with a reference taken,
// starting its backend subscription if it is the first.
func (h *Hub) acquire(ctx context.Context, name string) (*topic, error) {
	h.mu.Lock()
	if h.closed.Load() {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	t := h.topics[name]
	if t != nil {
		t.refs++
		h.mu.Unlock()
		select {
		case <-t.ready:
		case <-ctx.Done():
			h.release(t)
			return nil, ctx.Err()
		}
		if t.err != nil {
			h.release(t)
			return nil, t.err
		}
		return t, nil
	}
	t = newTopic(h, name)
	t.refs = 1
	h.topics[name] = t
	h.mu.Unlock()

	t.err = t.start(ctx)
	close(t.ready)
	if t.err != nil {
		h.mu.Lock()
		if h.topics[name] == t {
			delete(h.topics, name) // let the next subscriber try afresh
		}
		h.mu.Unlock()
		h.release(t)
		return nil, t.err
	}
	return t, nil
}

// release drops a reference to t, and stops t with the last one.
func (h *Hub) release(t *topic) {
	h.mu.Lock()
	t.refs--
	last := t.refs == 0
	if last && h.topics[t.name] == t {
		delete(h.topics, t.name)
	}
	h.mu.Unlock()
	if last {
		t.stop()
	}
}

// resync builds a resync signal saying that the events after last follow.
func (h *Hub) resync(reason Reason, last string) Event {
	var b strings.Builder
	b.Grow(len(`{"reason":"","last_id":""}`) + len(reason) + len(last))
	b.WriteString(`{"reason":"`)
	b.WriteString(string(reason))
	b.WriteString(`","last_id":"`)
	b.WriteString(last) // an ID this hub made: letters, digits and a dash
	b.WriteString(`"}`)
	return Event{ID: last, Type: h.resyncType, Data: b.String(), Resync: reason}
}

func (h *Hub) countDropped(topic string, n int64) {
	if n <= 0 {
		return
	}
	if h.reg != nil {
		h.reg.CountDropped(n)
	}
	if h.obs != nil {
		h.obs.Dropped(topic, n)
	}
}

func (h *Hub) countSlow(topic string, n int) {
	if n <= 0 {
		return
	}
	if h.reg != nil {
		for range n {
			h.reg.CountSlowDisconnect()
		}
	}
	if h.obs != nil {
		h.obs.SlowDisconnected(topic, n)
	}
}
