package hub

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryOptions configures a [MemoryBackend]. The zero value, and a nil
// *MemoryOptions, mean the default history bounds and time.Now.
type MemoryOptions struct {
	// History bounds each topic's history.
	History History
	// Now is the clock for the age of events; nil means time.Now.
	Now func() time.Time
	// KeyWindow is how long a topic remembers a [Message.Key]; 0 means
	// [DefaultKeyWindow]. At most [MaxKeysPerTopic] keys are remembered per
	// topic; past that the oldest are forgotten early.
	KeyWindow time.Duration
}

// MaxKeysPerTopic bounds the [Message.Key]s a [MemoryBackend] remembers
// for one topic, so that a flood of keyed publishes cannot grow memory
// without bound.
const MaxKeysPerTopic = 1 << 16

// MemoryBackend is the in-process [Backend]: each topic keeps its history
// in a ring bounded by [History], and live events go to the listeners
// synchronously, inside Append, in offset order. It is what a [Hub] uses
// when [Options.Backend] is nil. Its histories live as long as the process:
// each topic starts a new epoch (see [NewEpoch]) when it is created, so IDs
// issued before a restart are recognized as stale.
//
// A topic's state is dropped once it has neither events nor listeners, and
// its next event starts a new epoch; topics whose events all aged out are
// swept a few at a time as other topics are appended to.
//
// A MemoryBackend is safe for concurrent use. Appends to different topics
// do not contend, except briefly on the table of topics.
type MemoryBackend struct {
	hist    History
	now     func() time.Time
	window  time.Duration
	appends atomic.Uint64
	closed  atomic.Bool

	mu     sync.RWMutex
	topics map[string]*memTopic
}

type memTopic struct {
	mu      sync.Mutex
	epoch   string
	head    uint64 // offset of the last event, 0 before the first
	recs    []memRecord
	first   int // index in recs of the oldest retained record
	n       int // records retained; their offsets are head-n+1 .. head
	bytes   int64
	ls      []Listener // copied on write, so that a delivery can use a snapshot
	deleted bool       // removed from the table; look the topic up again

	// keys maps each remembered Message.Key to its offset; keyOrder holds
	// them oldest first, for expiry.
	keys     map[string]uint64
	keyOrder []memKey

	// delivered is the offset of the last event handed to the listeners;
	// an Append waits on turn until the events before its own are out.
	delivered uint64
	turn      sync.Cond
}

type memKey struct {
	key string
	at  int64 // Unix nanoseconds
}

type memRecord struct {
	at   int64 // Unix nanoseconds, when MaxAge is set
	typ  string
	data string
}

// NewMemoryBackend returns an empty MemoryBackend.
func NewMemoryBackend(opts *MemoryOptions) *MemoryBackend {
	var o MemoryOptions
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KeyWindow <= 0 {
		o.KeyWindow = DefaultKeyWindow
	}
	return &MemoryBackend{
		hist:   o.History.normalized(),
		now:    o.Now,
		window: o.KeyWindow,
		topics: make(map[string]*memTopic),
	}
}

var errMemoryClosed = fmt.Errorf("hub: memory backend: %w", ErrClosed)

// sweepEvery is how many appends pass between two sweeps of aged topics.
const sweepEvery = 64

// Append implements [Backend]. It waits for nothing but the delivery of the
// topic's earlier events and of its own to the listeners (for a hub, the
// wake-ups of its subscribers); ctx is only checked on entry.
func (b *MemoryBackend) Append(ctx context.Context, topic string, m Message) (Position, error) {
	at, err := b.beginAppend(ctx)
	if err != nil {
		return Position{}, err
	}
	t := b.lockTopic(topic, true)
	rec, stored := b.storeLocked(t, m, at)
	t.trim(b.hist, at)
	if !stored {
		t.mu.Unlock()
		return rec.Pos, nil
	}
	t.deliverUnlock(rec)
	return rec.Pos, nil
}

// AppendBatch implements [BatchAppender]: msgs are stored under one lock
// of the topic, so that no other append comes between them, and delivered
// in order. ctx is only checked on entry.
func (b *MemoryBackend) AppendBatch(ctx context.Context, topic string, msgs []Message) ([]Position, error) {
	at, err := b.beginAppend(ctx)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	pos := make([]Position, len(msgs))
	recs := make([]Record, 0, len(msgs))
	t := b.lockTopic(topic, true)
	for i, m := range msgs {
		rec, stored := b.storeLocked(t, m, at)
		pos[i] = rec.Pos
		if stored {
			recs = append(recs, rec)
		}
	}
	t.trim(b.hist, at)
	if len(recs) == 0 {
		t.mu.Unlock()
		return pos, nil
	}
	t.deliverUnlock(recs...)
	return pos, nil
}

// beginAppend checks an append may start and returns its time (0 without
// MaxAge), sweeping aged topics now and then.
func (b *MemoryBackend) beginAppend(ctx context.Context) (int64, error) {
	if b.closed.Load() {
		return 0, errMemoryClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var at int64
	if b.hist.MaxAge > 0 {
		at = b.now().UnixNano()
		if b.appends.Add(1)%sweepEvery == 0 {
			b.sweep(at)
		}
	}
	return at, nil
}

// storeLocked stores m as t's next event, unless its Key was stored within
// the window: then it reports false with the first event's position.
func (b *MemoryBackend) storeLocked(t *memTopic, m Message, at int64) (Record, bool) {
	if m.Key != "" {
		now := b.now().UnixNano()
		t.forgetKeys(now - int64(b.window))
		if off, ok := t.keys[m.Key]; ok {
			return Record{Pos: Position{Epoch: t.epoch, Offset: off}}, false
		}
		t.rememberKey(m.Key, t.head+1, now)
	}
	t.head++
	t.push(memRecord{at: at, typ: m.Type, data: m.Data}, b.hist.MaxEvents)
	t.bytes += recordSize(m.Type, m.Data)
	return Record{Pos: Position{Epoch: t.epoch, Offset: t.head}, Type: m.Type, Data: m.Data}, true
}

// deliverUnlock hands recs, consecutive events just stored, to t's
// listeners and unlocks t. Deliveries go out in offset order, one append's
// at a time, without holding the lock, so that a listener may Read: it
// waits for the deliveries of the events before recs first.
func (t *memTopic) deliverUnlock(recs ...Record) {
	for t.delivered != recs[0].Pos.Offset-1 {
		t.turn.Wait()
	}
	ls := t.ls
	if len(ls) > 0 {
		t.mu.Unlock()
		for _, rec := range recs {
			for _, l := range ls {
				l.Event(rec)
			}
		}
		t.mu.Lock()
	}
	t.delivered = recs[len(recs)-1].Pos.Offset
	t.turn.Broadcast()
	t.mu.Unlock()
}

// forgetKeys drops the keys remembered before since.
func (t *memTopic) forgetKeys(since int64) {
	n := 0
	for n < len(t.keyOrder) && t.keyOrder[n].at < since {
		delete(t.keys, t.keyOrder[n].key)
		n++
	}
	if n > 0 {
		t.keyOrder = slices.Delete(t.keyOrder, 0, n)
	}
}

// rememberKey records key for the event at offset off.
func (t *memTopic) rememberKey(key string, off uint64, now int64) {
	if t.keys == nil {
		t.keys = make(map[string]uint64)
	}
	if len(t.keyOrder) >= MaxKeysPerTopic {
		delete(t.keys, t.keyOrder[0].key)
		t.keyOrder = slices.Delete(t.keyOrder, 0, 1)
	}
	t.keys[key] = off
	t.keyOrder = append(t.keyOrder, memKey{key, now})
}

// Read implements [Backend].
func (b *MemoryBackend) Read(ctx context.Context, topic string, after Position, limit int) (Batch, error) {
	if b.closed.Load() {
		return Batch{}, errMemoryClosed
	}
	if err := ctx.Err(); err != nil {
		return Batch{}, err
	}
	t := b.lockTopic(topic, false)
	if t == nil {
		return Batch{Lost: !after.IsZero()}, nil
	}
	defer t.mu.Unlock()
	if b.hist.MaxAge > 0 {
		t.trim(b.hist, b.now().UnixNano())
	}
	batch := Batch{Head: Position{Epoch: t.epoch, Offset: t.head}}
	oldest := t.head - uint64(t.n) + 1 // offset of the oldest retained record
	if after.IsZero() {
		after = Position{Epoch: t.epoch, Offset: oldest - 1}
	}
	if after.Epoch != t.epoch || after.Offset > t.head || after.Offset+1 < oldest {
		batch.Lost = true
		return batch, nil
	}
	count := min(int(t.head-after.Offset), max(limit, 0))
	if count == 0 {
		return batch, nil
	}
	batch.Records = make([]Record, count)
	skip := int(after.Offset + 1 - oldest)
	for i := range batch.Records {
		r := &t.recs[(t.first+skip+i)%len(t.recs)]
		batch.Records[i] = Record{
			Pos:  Position{Epoch: t.epoch, Offset: after.Offset + 1 + uint64(i)},
			Type: r.typ,
			Data: r.data,
		}
	}
	return batch, nil
}

// Subscribe implements [Backend]. l is called synchronously by Append,
// without the topic's lock held; an Append returns once its event has been
// delivered.
func (b *MemoryBackend) Subscribe(ctx context.Context, topic string, l Listener) (Position, func(), error) {
	if b.closed.Load() {
		return Position{}, nil, errMemoryClosed
	}
	if err := ctx.Err(); err != nil {
		return Position{}, nil, err
	}
	t := b.lockTopic(topic, true)
	t.ls = append(slices.Clip(t.ls), l)
	head := Position{Epoch: t.epoch, Offset: t.head}
	t.mu.Unlock()
	var once sync.Once
	stop := func() { once.Do(func() { b.unsubscribe(topic, t, l) }) }
	return head, stop, nil
}

func (b *MemoryBackend) unsubscribe(name string, t *memTopic, l Listener) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if i := slices.Index(t.ls, l); i >= 0 {
		t.ls = slices.Delete(slices.Clone(t.ls), i, i+1)
	}
	b.dropIfIdleLocked(name, t)
}

// Close implements [Backend]: later calls fail with [ErrClosed] and the
// histories are released. Listeners get no further calls.
func (b *MemoryBackend) Close() error {
	b.closed.Store(true)
	b.mu.Lock()
	for name, t := range b.topics {
		t.mu.Lock()
		t.deleted = true
		t.ls = nil
		t.mu.Unlock()
		delete(b.topics, name)
	}
	b.mu.Unlock()
	return nil
}

// lockTopic returns the named topic with its lock held, creating it when
// create is set; without create it returns nil for an unknown topic.
func (b *MemoryBackend) lockTopic(name string, create bool) *memTopic {
	for {
		b.mu.RLock()
		t := b.topics[name]
		b.mu.RUnlock()
		if t == nil {
			if !create {
				return nil
			}
			b.mu.Lock()
			if t = b.topics[name]; t == nil {
				t = &memTopic{epoch: NewEpoch()}
				t.turn.L = &t.mu
				b.topics[name] = t
			}
			b.mu.Unlock()
		}
		t.mu.Lock()
		if !t.deleted {
			return t
		}
		t.mu.Unlock() // dropped meanwhile: a new one takes its place
	}
}

// sweep trims a few topics by age and drops those left empty and unheard.
// Go's map iteration starts at a random point, so every topic is reached in
// time.
func (b *MemoryBackend) sweep(now int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := 0
	for name, t := range b.topics {
		if i++; i > 4 {
			break
		}
		t.mu.Lock()
		t.trim(b.hist, now)
		b.dropIfIdleLocked(name, t)
		t.mu.Unlock()
	}
}

// dropIfIdleLocked removes t when it has no events and no listeners; b.mu
// and t.mu are held.
func (b *MemoryBackend) dropIfIdleLocked(name string, t *memTopic) {
	if t.n == 0 && len(t.ls) == 0 && !t.deleted && b.topics[name] == t {
		t.deleted = true
		delete(b.topics, name)
	}
}

// recordSize is what a record counts against History.MaxBytes.
func recordSize(typ, data string) int64 { return int64(len(typ) + len(data)) }

// push adds r as the newest record, growing the ring up to max records.
func (t *memTopic) push(r memRecord, maxEvents int) {
	if t.n == len(t.recs) && len(t.recs) < maxEvents {
		size := min(max(2*len(t.recs), 8), maxEvents)
		recs := make([]memRecord, size)
		for i := 0; i < t.n; i++ {
			recs[i] = t.recs[(t.first+i)%len(t.recs)]
		}
		t.recs, t.first = recs, 0
	}
	if len(t.recs) == 0 {
		return // no history kept: the record is only counted
	}
	if t.n == len(t.recs) {
		t.dropOldest()
	}
	t.recs[(t.first+t.n)%len(t.recs)] = r
	t.n++
}

// trim drops the oldest records while a bound is exceeded. The newest
// record stays whatever its size; age is measured against now.
func (t *memTopic) trim(h History, now int64) {
	if len(t.recs) == 0 {
		t.bytes = 0
		return
	}
	for t.n > h.MaxEvents || (h.MaxBytes > 0 && t.bytes > h.MaxBytes && t.n > 1) {
		t.dropOldest()
	}
	if h.MaxAge > 0 {
		limit := now - int64(h.MaxAge)
		for t.n > 0 && t.recs[t.first].at < limit {
			t.dropOldest()
		}
	}
}

func (t *memTopic) dropOldest() {
	r := &t.recs[t.first]
	t.bytes -= recordSize(r.typ, r.data)
	*r = memRecord{}
	t.first = (t.first + 1) % len(t.recs)
	t.n--
}
