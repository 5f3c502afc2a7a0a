package hub

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/streamkit/streamkit/sse"
)

// topic is a hub's local state for one topic with subscribers in this
// process: the backend subscription that feeds it, a ring of the last
// events (encoded once), and its subscribers.
//
// One goroutine at a time (the backend's, or the first subscriber's while
// the topic starts) feeds the ring, under feedMu. Subscribers read the ring
// without locks; the feeder moves a lagging subscriber's cursor forward
// with a compare-and-swap, which the reader's own compare-and-swap cannot
// miss.
type topic struct {
	hub  *Hub
	name string
	refs int // under hub.mu

	ready chan struct{} // closed once start has run
	err   error         // start's error, set before ready closes

	// ctx ends when the topic stops; it bounds the catch-up reads.
	ctx    context.Context
	cancel context.CancelFunc

	ctl      sync.Mutex
	stopFeed func()
	stopped  bool

	// Feed state: held by whoever hands events to the ring.
	feedMu   sync.Mutex
	started  bool
	early    []Record // events that came before the backend's Subscribe returned
	earlyGap bool

	// Ring and subscribers.
	mu     sync.Mutex
	seq    uint64   // sequence number of the newest entry; the first is 1
	last   Position // position of the newest entry, or the head at start
	subs   []*Subscription
	wakers *wakers // while the topic is big enough for them; see wakeAll
	ring   []atomic.Pointer[entry]
	mask   uint64
	closed atomic.Bool
}

// entry is one slot of a topic's ring: an event, or a resync signal when the
// feed lost events, with its SSE encoding.
type entry struct {
	seq uint64
	pos Position // the event's; for a resync, the last position before what follows
	ev  Event
}

func newTopic(h *Hub, name string) *topic {
	t := &topic{
		hub:   h,
		name:  name,
		ready: make(chan struct{}),
		ring:  make([]atomic.Pointer[entry], h.ringSize),
		mask:  uint64(h.ringSize - 1),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// start opens the backend subscription and catches up with what arrived
// meanwhile.
func (t *topic) start(ctx context.Context) error {
	head, stop, err := t.hub.backend.Subscribe(ctx, t.name, t)
	if err != nil {
		return err
	}
	t.ctl.Lock()
	if t.stopped {
		t.ctl.Unlock()
		stop()
		return ErrClosed
	}
	t.stopFeed = stop
	t.ctl.Unlock()

	t.feedMu.Lock()
	defer t.feedMu.Unlock()
	t.mu.Lock()
	t.last = head
	t.mu.Unlock()
	t.started = true
	early, gap := t.early, t.earlyGap
	t.early, t.earlyGap = nil, false
	for _, r := range early {
		t.feed(r)
	}
	if gap {
		t.gap()
	}
	return nil
}

// stop ends the backend subscription; it is idempotent.
func (t *topic) stop() {
	t.ctl.Lock()
	t.stopped = true
	stop := t.stopFeed
	t.stopFeed = nil
	t.ctl.Unlock()
	t.cancel()
	if stop != nil {
		stop()
	}
}

// close ends the topic for its subscribers, for [Hub.Close].
func (t *topic) close() {
	t.closed.Store(true)
	t.mu.Lock()
	for _, s := range t.subs {
		s.signal()
	}
	t.dropWakers() // Hub.Close waits for them
	t.mu.Unlock()
	t.stop()
}

// Event implements [Listener].
func (t *topic) Event(r Record) {
	t.feedMu.Lock()
	defer t.feedMu.Unlock()
	switch {
	case t.closed.Load():
	case !t.started:
		t.early = append(t.early, r)
	default:
		t.feed(r)
	}
}

// Gap implements [Listener].
func (t *topic) Gap(error) {
	if t.hub.obs != nil {
		t.hub.obs.BackendGap(t.name)
	}
	t.feedMu.Lock()
	defer t.feedMu.Unlock()
	switch {
	case t.closed.Load():
	case !t.started:
		t.earlyGap = true
	default:
		t.gap()
	}
}

// feed takes the next record of the backend's feed, filling any hole
// before it from the history.
func (t *topic) feed(r Record) {
	if r.Pos.Epoch == t.last.Epoch && r.Pos.Offset > t.last.Offset+1 {
		if reason, _ := t.catchUp(r.Pos.Offset - 1); reason != "" &&
			r.Pos.Epoch == t.last.Epoch && r.Pos.Offset > t.last.Offset+1 {
			t.pushResync(reason, Position{Epoch: r.Pos.Epoch, Offset: r.Pos.Offset - 1})
		}
	}
	switch {
	case r.Pos.Epoch != t.last.Epoch:
		// The history was reset: what came before r in it is not known.
		t.pushResync(ReasonEpoch, Position{Epoch: r.Pos.Epoch, Offset: r.Pos.Offset - 1})
	case r.Pos.Offset <= t.last.Offset:
		return // seen already
	}
	t.pushRecord(r)
}

// gap catches up after the backend reported that events may be missing.
func (t *topic) gap() {
	reason, head := t.catchUp(0)
	if reason == ReasonUnavailable {
		// The store is still out of reach; the next event shows the hole
		// by its offset and the catch-up is tried again.
		return
	}
	if reason != "" {
		t.pushResync(reason, head)
	}
}

// catchUp reads the history after the last position into the ring, until
// it reaches offset upTo, or to the end with upTo 0. It returns why it
// could not, with the head the backend reported.
func (t *topic) catchUp(upTo uint64) (Reason, Position) {
	for {
		b, err := t.hub.backend.Read(t.ctx, t.name, t.last, pageSize)
		if err != nil {
			return ReasonUnavailable, Position{}
		}
		if b.Lost {
			if b.Head.Epoch != t.last.Epoch {
				return ReasonEpoch, b.Head
			}
			return ReasonEvicted, b.Head
		}
		for _, r := range b.Records {
			if r.Pos.Epoch != t.last.Epoch || r.Pos.Offset != t.last.Offset+1 {
				return ReasonUnavailable, b.Head // not a sequence: a broken backend
			}
			t.pushRecord(r)
		}
		if len(b.Records) < pageSize || (upTo > 0 && t.last.Offset >= upTo) {
			return "", b.Head
		}
	}
}

// pushRecord encodes r once and hands it to the subscribers.
func (t *topic) pushRecord(r Record) {
	id := r.Pos.String()
	ev := sse.Event{ID: id, Type: r.Type, Data: r.Data}
	breaks := strings.Count(r.Data, "\n") + strings.Count(r.Data, "\r")
	enc, err := sse.AppendEvent(make([]byte, 0, 24+len(id)+len(r.Type)+len(r.Data)+7*breaks), &ev)
	if err != nil {
		// The backend holds an event SSE cannot carry (it was not
		// published through a hub): skip it, and say so.
		t.pushResync(ReasonUnavailable, r.Pos)
		return
	}
	t.push(&entry{pos: r.Pos, ev: Event{ID: id, Type: r.Type, Data: r.Data, enc: enc}})
}

// pushResync tells every subscriber that events were lost and that those
// after last follow.
func (t *topic) pushResync(reason Reason, last Position) {
	ev := t.hub.resync(reason, last.String())
	ev.enc, _ = sse.AppendEvent(nil, &sse.Event{ID: ev.ID, Type: ev.Type, Data: ev.Data})
	t.push(&entry{pos: last, ev: ev})
}

// push adds e to the ring and wakes the subscribers, applying the slow
// policy to those whose queue overflows. It never blocks on a subscriber,
// and allocates nothing per subscriber.
func (t *topic) push(e *entry) {
	t.mu.Lock()
	t.seq++
	e.seq = t.seq
	t.ring[e.seq&t.mask].Store(e)
	t.last = e.pos
	w := t.wakeAll(e.seq)
	t.mu.Unlock()
	t.hub.countDropped(t.name, w.dropped)
	t.hub.countSlow(t.name, w.slow)
}

// at returns the ring's entry with sequence number seq, or nil when the slot
// holds another.
func (t *topic) at(seq uint64) *entry {
	if e := t.ring[seq&t.mask].Load(); e != nil && e.seq == seq {
		return e
	}
	return nil
}
