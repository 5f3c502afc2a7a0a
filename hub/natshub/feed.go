package natshub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamkit/streamkit/hub"
)

// A live feed is one ephemeral JetStream consumer per topic with listeners
// in this process, read by one goroutine that calls the listeners in
// sequence order. The consumer starts right after the head the first
// Subscribe returned. When it fails (the connection came back, heartbeats
// stopped, the consumer or the stream was deleted) the goroutine builds a
// new one:
//
//   - on the same stream (same epoch), from the sequence after the last
//     event it delivered, so that nothing is missed or repeated; if those
//     events were trimmed meanwhile, the listeners get Gap and the hub
//     reports the loss;
//   - on a new stream (another epoch), from the head, and the listeners
//     get Gap: the hub reads the history and sends a resync.

// ntopic is the live feed of one topic.
type ntopic struct {
	b    *Backend
	name string

	ls []*entry // guarded by b.mu; copied on write, so a delivery uses a snapshot

	ready    chan struct{} // closed once the first consumer is up (or failed)
	startErr error         // set before ready closes

	halted atomic.Bool
	ctx    context.Context // ends with halt; bounds the rebuilds
	cancel context.CancelFunc

	mu  sync.Mutex
	cur *feed // the consumer being read; nil between two

	// Owned by the feeding goroutine (and by the first Subscribe before
	// it starts): the epoch of the consumer, and the last sequence
	// delivered or the head it started after.
	epoch string
	last  uint64
}

// feed is one consumer and its iterator.
type feed struct {
	cons jetstream.Consumer
	it   jetstream.MessagesContext
	gen  uint64 // the link it was created on
}

// entry is one Listener of a topic.
type entry struct {
	l       hub.Listener
	stopped atomic.Bool
}

// Subscribe implements [hub.Backend]. The first listener of a topic in
// this process creates the topic's stream if it has none, reads its head
// and creates an ephemeral consumer that delivers from the sequence after
// it; the others join that consumer and read the head again. Setup waits
// at most [Options.Timeout]: while NATS is out of reach, Subscribe fails.
//
// Listeners are called from the topic's own goroutine, one at a time, in
// sequence order. After the feed failed and was rebuilt on the same
// stream, the listeners get the events they missed through the feed; on a
// replaced stream, they get Gap first.
func (b *Backend) Subscribe(ctx context.Context, topic string, l hub.Listener) (hub.Position, func(), error) {
	if b.closed.Load() {
		return hub.Position{}, nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return hub.Position{}, nil, fmt.Errorf("natshub: subscribe to %s: %w", topic, err)
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	if !b.nc.IsConnected() {
		return hub.Position{}, nil, fail(caller, "subscribe to", topic, errNotConnected)
	}

	e := &entry{l: l}
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return hub.Position{}, nil, errClosed
	}
	t := b.topics[topic]
	first := t == nil
	if first {
		t = &ntopic{b: b, name: topic, ready: make(chan struct{})}
		t.ctx, t.cancel = context.WithCancel(context.Background())
		b.topics[topic] = t
	}
	t.ls = append(slices.Clip(t.ls), e)
	b.mu.Unlock()

	var head hub.Position
	var err error
	if first {
		head, err = t.start(ctx)
	} else {
		select {
		case <-t.ready:
			err = t.startErr
		case <-ctx.Done():
			err = fmt.Errorf("the topic's feed did not start: %w", ctx.Err())
		}
		if err == nil {
			head, err = b.head(ctx, topic)
		}
	}
	if err != nil {
		b.remove(t, e)
		return hub.Position{}, nil, fail(caller, "subscribe to", topic, err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { b.remove(t, e) }) }
	return head, stop, nil
}

// head returns topic's head, creating its stream if it has none.
func (b *Backend) head(ctx context.Context, topic string) (hub.Position, error) {
	info, err := b.ensureStream(ctx, topic)
	if err != nil {
		return hub.Position{}, err
	}
	return hub.Position{Epoch: epochOf(info.Config.Description, info.Created), Offset: info.State.LastSeq}, nil
}

// start builds the topic's first consumer, after the stream's head, and
// starts the goroutine that reads it.
func (t *ntopic) start(ctx context.Context) (hub.Position, error) {
	f, err := t.open(ctx, true)
	if err == nil {
		t.b.mu.Lock()
		if t.halted.Load() {
			err = errClosed // the backend closed meanwhile
		} else {
			t.b.wg.Add(1)
		}
		t.b.mu.Unlock()
		if err != nil {
			t.b.dropConsumer(f)
		}
	}
	t.startErr = err
	close(t.ready)
	if err != nil {
		return hub.Position{}, err
	}
	head := hub.Position{Epoch: t.epoch, Offset: t.last}
	go t.run(f)
	return head, nil
}

// open creates a consumer: after the head when fresh is set, else after
// the last event delivered, or after the head with gap set when that is
// not possible (another epoch, or the events after it are gone).
func (t *ntopic) open(ctx context.Context, fresh bool) (f *feed, err error) {
	b := t.b
	gen := b.link.Load().gen
	var info *jetstream.StreamInfo
	var cons jetstream.Consumer
	for attempt := 1; ; attempt++ {
		info, err = b.ensureStream(ctx, t.name)
		if err != nil {
			return nil, err
		}
		cons, err = t.createConsumer(ctx, info, fresh, gen)
		// The stream was deleted after ensureStream read it (by a sweeper,
		// Options.DeleteIdle): create it again once the deletion is done
		// (see deletionBackoff).
		if !errors.Is(err, jetstream.ErrStreamNotFound) || attempt == 3 {
			break
		}
		if err := b.pause(ctx); err != nil {
			return nil, fmt.Errorf("creating a consumer: %w", err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("creating a consumer: %w", err)
	}
	it, err := cons.Messages(
		jetstream.PullHeartbeat(b.cfg.heartbeat),
		jetstream.PullExpiry(max(30*time.Second, 3*b.cfg.heartbeat)),
		jetstream.WithMessagesErrOnMissingHeartbeat(true),
	)
	if err != nil {
		b.dropConsumer(&feed{cons: cons})
		return nil, fmt.Errorf("reading a consumer: %w", err)
	}
	return &feed{cons: cons, it: it, gen: gen}, nil
}

// createConsumer creates t's next consumer, built on link gen, on the
// stream info describes, from where [ntopic.open] says, and records that start in t.epoch and
// t.last, telling the listeners of a gap if there is one.
func (t *ntopic) createConsumer(ctx context.Context, info *jetstream.StreamInfo, fresh bool, gen uint64) (jetstream.Consumer, error) {
	b := t.b
	epoch := epochOf(info.Config.Description, info.Created)
	st := info.State
	b.remember(t.name, epochEntry{epoch: epoch, gen: gen, last: st.LastSeq})
	start := t.last + 1
	gap := false
	switch {
	case fresh:
		start = st.LastSeq + 1
	case epoch != t.epoch:
		b.cfg.log.Warn("natshub: a topic's stream was replaced; its subscribers get a resync", "topic", t.name)
		start, gap = st.LastSeq+1, true
	case st.LastSeq < t.last:
		// Same epoch, fewer events: the server lost some it had
		// acknowledged (a store that was not synced).
		b.cfg.log.Warn("natshub: a topic's stream went back in sequence", "topic", t.name, "last", t.last, "now", st.LastSeq)
		start, gap = st.LastSeq+1, true
	case st.Msgs > 0 && start < st.FirstSeq || st.Msgs == 0 && start <= st.LastSeq:
		start, gap = st.LastSeq+1, true // trimmed past what was delivered
	}
	cons, err := b.js.CreateConsumer(ctx, b.cfg.streamName(t.name), jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: max(4*b.cfg.heartbeat, 30*time.Second),
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		return nil, err
	}
	t.epoch, t.last = epoch, start-1
	if gap {
		t.gap(errEpochChanged)
	}
	return cons, nil
}

// deletionBackoff is the backoff step (of minBackoff doubling) a feed
// waits for when its consumer was deleted: 400 ms.
const deletionBackoff = 4

// run reads the topic's consumers until the topic is halted, building a
// new one whenever the current one fails.
func (t *ntopic) run(f *feed) {
	b := t.b
	defer b.wg.Done()
	fails := 0
	for {
		if f != nil {
			t.mu.Lock()
			t.cur = f
			t.mu.Unlock()
			var err error
			if b.link.Load().gen != f.gen || t.halted.Load() {
				// Built on a connection that has been lost since, or
				// halted meanwhile.
				err = errors.New("the connection changed while the consumer was created")
			} else {
				err = t.consume(f)
			}
			t.mu.Lock()
			t.cur = nil
			t.mu.Unlock()
			b.dropConsumer(f)
			if t.halted.Load() {
				return
			}
			b.cfg.log.Debug("natshub: rebuilding a topic's feed", "topic", t.name, "err", err)
			if errors.Is(err, jetstream.ErrConsumerDeleted) && fails == 0 {
				// The stream is likely being deleted: nats-server 2.9
				// deletes its consumers first and its files last, and a
				// stream created again in between loses its files. Let
				// the deletion finish before creating it again.
				fails = deletionBackoff
			}
		}
		if fails > 0 {
			wait := time.NewTimer(min(minBackoff<<min(fails-1, 10), maxBackoff))
			select {
			case <-wait.C:
			case <-t.ctx.Done():
				wait.Stop()
				return
			}
		}
		ctx, cancel := context.WithTimeout(t.ctx, b.cfg.timeout)
		var err error
		f, err = t.open(ctx, false)
		cancel()
		if t.halted.Load() {
			if f != nil {
				b.dropConsumer(f)
			}
			return
		}
		if err != nil {
			fails++
			if fails == 1 {
				b.cfg.log.Warn("natshub: a topic's feed is down; retrying", "topic", t.name, "err", err)
			}
			f = nil
			continue
		}
		if fails > 0 {
			b.cfg.log.Info("natshub: a topic's feed is back", "topic", t.name)
		}
		fails = 0
	}
}

// consume hands f's events to the listeners until f fails or is stopped.
func (t *ntopic) consume(f *feed) error {
	for {
		m, err := f.it.Next()
		if err != nil {
			return err
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("a message without JetStream metadata: %w", err)
		}
		seq := meta.Sequence.Stream
		if seq <= t.last {
			continue // delivered already
		}
		r := record(t.epoch, seq, m.Headers(), m.Data())
		t.last = seq
		t.b.mu.Lock()
		ls := t.ls
		t.b.mu.Unlock()
		for _, e := range ls {
			if !e.stopped.Load() {
				e.l.Event(r)
			}
		}
	}
}

// gap tells the listeners that events may have been missed.
func (t *ntopic) gap(err error) {
	t.b.mu.Lock()
	ls := t.ls
	t.b.mu.Unlock()
	for _, e := range ls {
		if !e.stopped.Load() {
			e.l.Gap(err)
		}
	}
}

// rebuild has the feeding goroutine build a new consumer; b.mu is held.
func (t *ntopic) rebuild() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil {
		t.cur.it.Stop()
	}
}

// halt ends the topic's feed for good; b.mu is held.
func (t *ntopic) halt() {
	if t.halted.Swap(true) {
		return
	}
	t.cancel()
	t.rebuild()
}

// remove takes e off t's listeners, and ends t's feed once none is left.
func (b *Backend) remove(t *ntopic, e *entry) {
	e.stopped.Store(true)
	b.mu.Lock()
	defer b.mu.Unlock()
	if i := slices.Index(t.ls, e); i >= 0 {
		t.ls = slices.Delete(slices.Clone(t.ls), i, i+1)
	}
	if len(t.ls) == 0 {
		t.halt()
		if b.topics[t.name] == t {
			delete(b.topics, t.name)
		}
	}
}

// dropConsumer stops reading f and deletes its consumer, waiting a short
// while at most: a consumer the backend could not delete is deleted by the
// server after its inactivity threshold.
func (b *Backend) dropConsumer(f *feed) {
	if f.it != nil {
		f.it.Stop()
	}
	if !b.nc.IsConnected() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(b.cfg.timeout, time.Second))
	defer cancel()
	info := f.cons.CachedInfo()
	err := b.js.DeleteConsumer(ctx, info.Stream, info.Name)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		b.cfg.log.Debug("natshub: deleting a consumer", "stream", info.Stream, "err", err)
	}
}
