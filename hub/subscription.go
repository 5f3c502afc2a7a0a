package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Reason says why a subscriber gets a resync signal instead of the events
// it would have had. It is the "reason" of the signal's JSON data.
type Reason string

// Reasons for a resync signal.
const (
	// ReasonMalformed: the Last-Event-ID is not an ID a hub issues.
	ReasonMalformed Reason = "malformed"
	// ReasonUnknown: the Last-Event-ID is of the topic's current epoch but
	// beyond its last event.
	ReasonUnknown Reason = "unknown"
	// ReasonEpoch: the Last-Event-ID is from another epoch of the topic's
	// history (the server restarted, the store was reset), or the history
	// was reset while subscribed.
	ReasonEpoch Reason = "epoch"
	// ReasonEvicted: the events after the Last-Event-ID are no longer in
	// the history (see [History]).
	ReasonEvicted Reason = "evicted"
	// ReasonDropped: the subscriber's queue overflowed under the
	// [DropOldest] policy and its oldest events were discarded.
	ReasonDropped Reason = "dropped"
	// ReasonSlow: the subscriber was cut off under the [Disconnect]
	// policy; [Hub.ServeSSE] sends it as the stream's last event.
	ReasonSlow Reason = "slow"
	// ReasonUnavailable: the backend could not provide the events (it was
	// unreachable, or held an event SSE cannot carry).
	ReasonUnavailable Reason = "unavailable"
)

// Event is what a [Subscription] delivers: a published event, or a resync
// signal.
//
// A resync signal has Resync set, Type [Options.ResyncEvent] ("resync" by
// default), and Data a JSON object such as
//
//	{"reason":"evicted","last_id":"k3x9q2m8w1a0z-41"}
//
// It means: some events were missed, and the events that follow are exactly
// those after last_id. A client refetches whatever state it derives from the
// topic. ID is last_id too, so a client that reconnects right after resumes
// from there instead of being told again.
type Event struct {
	// ID is the event's ID, to send as the SSE id field.
	ID string
	// Type is the event type; "" means "message".
	Type string
	// Data is the event's data.
	Data string
	// Resync is empty for a published event, and the reason for a resync
	// signal.
	Resync Reason

	// enc is the SSE encoding shared by all subscribers; nil for events
	// read from the history, which are encoded by the stream itself.
	enc []byte
}

// Bits of a subscription's cursor besides the sequence number.
const (
	gapBit  = 1 << 63 // the feeder dropped events: send a resync first
	deadBit = 1 << 62 // cut off under the Disconnect policy
	seqMask = deadBit - 1
)

// Subscription is one reader's view of a topic, from [Hub.Subscribe]. Its
// queue is the part of the topic's ring of live events it has not read
// yet, so it costs no copy of the events and no goroutine.
//
// Next must be called from one goroutine at a time (usually the handler that
// serves the client); Close may be called from any goroutine and wakes a
// Next that is waiting.
type Subscription struct {
	hub *Hub
	t   *topic

	// cursor is the sequence number of the last entry read from the ring,
	// with gapBit and deadBit. The reader moves it one step at a time;
	// the feeder moves it ahead of a full queue. Both with CAS.
	cursor atomic.Uint64
	wake   chan struct{}
	idx    int // index in t.subs, under t.mu

	closed    atomic.Bool
	closeOnce sync.Once

	// The context whose end wakes Next, and how to stop that.
	watchMu sync.Mutex
	unwatch func() bool

	// Reader state, owned by Next.
	backlog   []Event
	replaying bool
	resume    Position // replay the history after this
	resumeTo  Position // ... up to at least this, where the live feed began
	filter    Position // skip live events of this epoch up to this offset
	lastID    string   // ID of the last event delivered, or where it started
	err       error
	watched   <-chan struct{} // Done channel of the context watch set up
}

var errSubClosed = fmt.Errorf("hub: subscription: %w", ErrClosed)

// Next returns the subscription's next event, waiting for one until ctx
// ends. The events come in the topic's order: first those replayed from the
// history (or a resync signal), then live ones; a resync signal comes
// whenever events were lost (see [Reason]).
//
// It returns an error matching [ErrSlowSubscriber] when the subscription
// was cut off under the [Disconnect] policy, [ErrClosed] after Close or
// [Hub.Close], and ctx's error when ctx ends. Only ctx's error leaves the
// subscription usable.
//
// A live event's strings are shared with every subscriber; Next allocates
// nothing for it.
func (s *Subscription) Next(ctx context.Context) (e Event, err error) {
	for {
		if s.closed.Load() {
			return Event{}, errSubClosed
		}
		if len(s.backlog) > 0 {
			s.unqueue(&e)
			return e, nil
		}
		if s.replaying {
			if err := s.replay(ctx); err != nil {
				return Event{}, err
			}
			continue
		}
		if s.err != nil {
			return Event{}, s.err
		}
		ok, err := s.poll(&e)
		if err != nil {
			s.err = err
			return Event{}, err
		}
		if ok {
			if e.ID != "" {
				s.lastID = e.ID
			}
			s.hub.observeResync(s.t.name, &e)
			return e, nil
		}
		if err := s.watch(ctx); err != nil {
			return Event{}, err
		}
		<-s.wake
	}
}

// unqueue sets *e to the backlog's first event, and takes it off. It is
// apart from Next, as the error paths of poll are from poll, to keep the
// stack a parked reader wakes up on shallow: Next's and poll's frames hold
// no Event of their own.
func (s *Subscription) unqueue(e *Event) {
	*e = s.backlog[0]
	s.backlog[0] = Event{}
	s.backlog = s.backlog[1:]
	s.lastID = e.ID
	s.hub.observeResync(s.t.name, e)
}

// watch arranges for the end of ctx to wake a waiting Next, and returns
// ctx's error if it has ended. Waiting on the wake channel alone, rather
// than in a select with ctx.Done(), makes a parked subscriber cheaper for
// the runtime to hold and to wake, which counts with thousands of them. The
// arrangement is kept while Next is called with the same context, as a
// handler does.
func (s *Subscription) watch(ctx context.Context) error {
	if done := ctx.Done(); done != s.watched {
		s.watchMu.Lock()
		if s.unwatch != nil {
			s.unwatch()
			s.unwatch = nil
		}
		if done != nil && !s.closed.Load() {
			s.unwatch = context.AfterFunc(ctx, s.signal)
		}
		s.watchMu.Unlock()
		s.watched = done
	}
	return ctx.Err()
}

// Close ends the subscription and releases its place in the topic. It is
// idempotent and safe to call from any goroutine.
func (s *Subscription) Close() {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.watchMu.Lock()
		if s.unwatch != nil {
			s.unwatch()
			s.unwatch = nil
		}
		s.watchMu.Unlock()
		t := s.t
		t.mu.Lock()
		last := len(t.subs) - 1
		t.subs[s.idx] = t.subs[last]
		t.subs[s.idx].idx = s.idx
		t.subs[last] = nil
		t.subs = t.subs[:last]
		ws := t.shrunk()
		t.mu.Unlock()
		ws.wait()
		s.signal()
		s.hub.release(t)
		if s.hub.obs != nil {
			s.hub.obs.Unsubscribed(t.name)
		}
	})
}

// LastID returns the ID of the last event Next returned, or, before the
// first, the position the subscription started from: the client's
// Last-Event-ID, or the topic's last event when it subscribed. A client
// that reconnects with it resumes without a gap while the history still
// holds what follows. It must not be called concurrently with Next.
func (s *Subscription) LastID() string { return s.lastID }

// signal wakes the reader without ever blocking.
func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// replay reads the next page of history into the backlog.
func (s *Subscription) replay(ctx context.Context) error {
	b, err := s.hub.backend.Read(ctx, s.t.name, s.resume, pageSize)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // try again on the next call
		}
		s.endReplay(ReasonUnavailable)
		return nil
	}
	if b.Lost {
		switch {
		case b.Head.Epoch != s.resume.Epoch:
			s.endReplay(ReasonEpoch)
		case s.resume.Offset > b.Head.Offset:
			s.endReplay(ReasonUnknown)
		default:
			s.endReplay(ReasonEvicted)
		}
		return nil
	}
	for _, r := range b.Records {
		if r.Pos.Epoch != s.resume.Epoch || r.Pos.Offset != s.resume.Offset+1 {
			s.endReplay(ReasonUnavailable) // not a sequence: a broken backend
			return nil
		}
		s.backlog = append(s.backlog, Event{ID: r.Pos.String(), Type: r.Type, Data: r.Data})
		s.resume = r.Pos
	}
	if len(b.Records) == pageSize && s.resume.Offset < s.resumeTo.Offset {
		return nil // more to read
	}
	if s.resume.Offset < s.resumeTo.Offset {
		// The history ended before the point where the live feed took
		// over, which only a reset store can do.
		s.endReplay(ReasonUnavailable)
		return nil
	}
	s.replaying = false
	s.filter = s.resume
	return nil
}

// endReplay gives up the replay: a resync, then the live events from where
// the subscription joined the feed.
func (s *Subscription) endReplay(reason Reason) {
	s.replaying = false
	s.filter = Position{}
	s.backlog = append(s.backlog, s.hub.resync(reason, s.resumeTo.String()))
}

// poll sets *r to the next live event and returns true if there is one,
// without waiting.
func (s *Subscription) poll(r *Event) (bool, error) {
	t := s.t
	for {
		if t.closed.Load() {
			return false, errSubClosed
		}
		v := s.cursor.Load()
		if v&deadBit != 0 {
			return false, s.cutOff()
		}
		c := v & seqMask
		if v&gapBit != 0 {
			if s.dropped(v, r) {
				return true, nil
			}
			continue
		}
		next := c + 1
		e := t.ring[next&t.mask].Load()
		if e == nil || e.seq < next {
			return false, nil // nothing new
		}
		if e.seq > next || !s.cursor.CompareAndSwap(v, next) {
			continue // the feeder moved the cursor meanwhile
		}
		if s.skip(e.pos) {
			continue
		}
		s.filter = Position{}
		*r = e.ev
		return true, nil
	}
}

// cutOff is the error of a subscription cut off under the Disconnect
// policy. It and dropped are apart from poll, which runs for every event,
// to keep poll's stack frame, and with it the stack a reader touches per
// event, small.
func (s *Subscription) cutOff() error {
	return fmt.Errorf("hub: subscription to %s: more than %d events behind: %w",
		s.t.name, s.hub.queue, ErrSlowSubscriber)
}

// dropped handles the cursor v, whose gapBit says that the feeder dropped
// the events up to it: it sets *r to the resync signal that says so and
// returns true, or returns false when poll must look again (the cursor
// moved meanwhile) or the subscriber had those events from the history
// already.
func (s *Subscription) dropped(v uint64, r *Event) bool {
	c := v & seqMask
	if !s.cursor.CompareAndSwap(v, c) {
		return false
	}
	e := s.t.at(c)
	if e == nil || s.skip(e.pos) {
		return false // overwritten: the cursor has moved on again; or replayed
	}
	s.filter = Position{}
	*r = s.hub.resync(ReasonDropped, e.pos.String())
	return true
}

// skip reports whether a live entry at p was delivered from the history.
func (s *Subscription) skip(p Position) bool {
	return s.filter.Epoch != "" && p.Epoch == s.filter.Epoch && p.Offset <= s.filter.Offset
}
