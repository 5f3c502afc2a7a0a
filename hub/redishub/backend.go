package redishub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamkit/streamkit/hub"
)

// Backend is a [hub.Backend] on Redis: each topic's history is a capped
// Stream, live events come through Pub/Sub, and one Lua script per publish
// stores, numbers and announces an event as one atomic step. Hubs in
// several processes that share a Redis serve the same topics.
//
// A Backend holds one Pub/Sub connection, shared by every topic this
// process subscribes to, and uses the client's pool for everything else;
// two goroutines of its own keep the subscriptions in line with the topics
// that have listeners and deliver their events. The number of connections
// to Redis does not depend on the number of topics or clients.
//
// Create one per process with [New] or [Open], pass it as
// hub.Options.Backend, and Close it after the hub. All methods are safe for
// concurrent use.
type Backend struct {
	cfg       config
	client    redis.UniversalClient
	ownClient bool

	closed  atomic.Bool
	done    chan struct{} // closed by Close
	wg      sync.WaitGroup
	poke    chan struct{} // wakes the manager: a topic needs (un)subscribing
	psReady chan struct{} // wakes the reader: a new Pub/Sub connection is up

	mu     sync.Mutex
	topics map[string]*rtopic  // by channel name
	dirty  map[string]struct{} // channels whose subscription may need a change
	ps     *redis.PubSub       // the current connection; nil while there is none
	gen    uint64              // counts connections; messages of an older one are ignored
	fails  int                 // connections lost in a row, for the backoff
	broke  time.Time           // when the last one was lost
}

// rtopic is the state of one topic with listeners in this process. All its
// fields are guarded by Backend.mu.
type rtopic struct {
	name       string
	ls         []*entry // copied on write: a delivery uses a snapshot
	subscribed bool     // Redis confirmed the subscription on the current connection
	inflight   bool     // a SUBSCRIBE or UNSUBSCRIBE awaits Redis's answer
	needGap    bool     // events may have been missed while the connection was down
	ready      chan struct{}
}

// entry is one Listener of a topic.
type entry struct {
	l       hub.Listener
	stopped atomic.Bool
}

// ErrUnavailable reports that Redis did not serve an operation: it was out
// of reach or did not answer within [Options.Timeout], or it answered with
// an error or with data the backend did not write. The error wraps the
// cause too. Handlers answer it with 503 Service Unavailable; the hub
// passes it through, wrapped, from Publish and Subscribe.
//
// A publish that fails with ErrUnavailable may have been stored and
// delivered all the same: Redis may have run it and the answer been lost,
// or come too late. Publishers that retry should set [hub.Message.Key]
// (the demo servers take it from an Idempotency-Key header): the retry
// then returns the first publish's ID and stores nothing twice.
var ErrUnavailable = errors.New("redishub: Redis unavailable")

var (
	errClosed = fmt.Errorf("redishub: %w", hub.ErrClosed)

	// errReconnected is what Listener.Gap gets after the Pub/Sub
	// connection was replaced.
	errReconnected = errors.New("redishub: the Pub/Sub connection to Redis was lost and is back; events may have been missed")
)

// Backoff between two attempts to reconnect the Pub/Sub connection.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// New returns a Backend that uses client, configured by opts (nil means
// the defaults, see [Options]). The client stays the caller's: Close does
// not close it. For [Options.Timeout] to bound every wait on the socket,
// create the client with ContextTimeoutEnabled set, as [Open] does.
//
// New does not talk to Redis; the first operation does. It fails only on
// a nil client or invalid options.
func New(client redis.UniversalClient, opts *Options) (*Backend, error) {
	if client == nil {
		return nil, errors.New("redishub: New: nil client")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	b := &Backend{
		cfg:     cfg,
		client:  client,
		done:    make(chan struct{}),
		poke:    make(chan struct{}, 1),
		psReady: make(chan struct{}, 1),
		topics:  make(map[string]*rtopic),
		dirty:   make(map[string]struct{}),
	}
	b.wg.Add(2)
	go b.manage()
	go b.read()
	return b, nil
}

// Open connects to the Redis server named by url, in the form go-redis's
// ParseURL accepts ("redis://[[user]:password@]host:port/db",
// "rediss://..." for TLS, "unix:///path"), checks that it answers within
// [Options.Timeout] (and ctx), and returns a Backend that owns the client:
// Close closes it. The client has ContextTimeoutEnabled set, so that
// Options.Timeout bounds every operation.
func Open(ctx context.Context, url string, opts *Options) (*Backend, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	ro, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redishub: open: %w", err)
	}
	ro.ContextTimeoutEnabled = true
	client := redis.NewClient(ro)
	pctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redishub: open %s: %w", ro.Addr, err)
	}
	b, err := New(client, opts)
	if err != nil {
		client.Close()
		return nil, err
	}
	b.ownClient = true
	return b, nil
}

// keys returns the names of a topic's hash and stream.
func (b *Backend) keys(topic string) []string {
	base := b.channel(topic)
	return []string{base + ":m", base + ":s"}
}

// channel returns the name of a topic's Pub/Sub channel.
func (b *Backend) channel(topic string) string {
	return b.cfg.prefix + "{" + topic + "}"
}

func (b *Backend) ttlMillis() int64 { return b.cfg.ttl.Milliseconds() }

// Append implements [hub.Backend]: one script advances the topic's
// offset (starting an epoch if the topic has none), adds the event to the
// stream capped at [Options.MaxLen], and publishes it on the topic's
// channel. It waits at most [Options.Timeout].
//
// A message with a [hub.Message.Key] is stored at most once per key within
// [Options.KeyWindow]: a publisher that got [ErrUnavailable] (the event may
// have been stored all the same, its answer lost) retries with the same Key
// and gets the first position. Without a Key, go-redis's own retries (its
// MaxRetries) can store an event twice when the first attempt ran but its
// answer was lost; create the client with MaxRetries -1 for at most once.
func (b *Backend) Append(ctx context.Context, topic string, m hub.Message) (hub.Position, error) {
	if b.closed.Load() {
		return hub.Position{}, errClosed
	}
	if err := ctx.Err(); err != nil {
		return hub.Position{}, fmt.Errorf("redishub: append to %s: %w", topic, err)
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	approx := "0"
	if b.cfg.approx {
		approx = "1"
	}
	keys := b.keys(topic)
	if m.Key != "" {
		keys = append(keys, b.channel(topic)+":k:"+m.Key)
	}
	res, err := appendScript.Run(ctx, b.client, keys,
		hub.NewEpoch(), b.cfg.maxLen, approx, b.channel(topic), m.Type, m.Data, b.ttlMillis(),
		b.cfg.keyWin.Milliseconds()).Slice()
	if err != nil {
		return hub.Position{}, fail(caller, "append to", topic, err)
	}
	pos, err := parsePos(res)
	if err == nil && pos.Offset == 0 {
		err = fmt.Errorf("unexpected reply %v", res)
	}
	if err != nil {
		return hub.Position{}, fail(caller, "append to", topic, err)
	}
	return pos, nil
}

// The hub's PublishBatch uses AppendBatch.
var _ hub.BatchAppender = (*Backend)(nil)

// MaxBatchScript is the most messages [Backend.AppendBatch] stores with
// one script run; a longer batch takes several runs, one after the other,
// so that Redis is never blocked for long by one.
const MaxBatchScript = 512

// AppendBatch implements [hub.BatchAppender]: one script run per
// [MaxBatchScript] messages stores them as appendScript does one by one
// (Keys de-duplicated against earlier events and within the batch),
// publishes each on the topic's channel and trims the stream once, so
// that a batch costs one round trip instead of one per event. Each run
// waits at most [Options.Timeout]. On an error, the returned positions are
// those of the runs that completed; see [hub.BatchAppender] for the rest.
func (b *Backend) AppendBatch(ctx context.Context, topic string, msgs []hub.Message) ([]hub.Position, error) {
	if b.closed.Load() {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redishub: append to %s: %w", topic, err)
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	pos := make([]hub.Position, 0, len(msgs))
	for len(pos) < len(msgs) {
		chunk := msgs[len(pos):min(len(msgs), len(pos)+MaxBatchScript)]
		ps, err := b.appendChunk(ctx, topic, chunk)
		if err != nil {
			return pos, err
		}
		pos = append(pos, ps...)
	}
	return pos, nil
}

// appendChunk runs appendBatchScript for msgs.
func (b *Backend) appendChunk(ctx context.Context, topic string, msgs []hub.Message) ([]hub.Position, error) {
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	approx := "0"
	if b.cfg.approx {
		approx = "1"
	}
	ch := b.channel(topic)
	keys := b.keys(topic)
	args := make([]any, 0, 6+3*len(msgs))
	args = append(args, hub.NewEpoch(), b.cfg.maxLen, approx, ch, b.ttlMillis(), b.cfg.keyWin.Milliseconds())
	for _, m := range msgs {
		k := 0
		if m.Key != "" {
			keys = append(keys, ch+":k:"+m.Key)
			k = len(keys)
		}
		args = append(args, m.Type, m.Data, k)
	}
	res, err := appendBatchScript.Run(ctx, b.client, keys, args...).Slice()
	if err == nil && len(res) != 2*len(msgs) {
		err = fmt.Errorf("unexpected reply of %d values for %d messages", len(res), len(msgs))
	}
	if err != nil {
		return nil, fail(caller, "append to", topic, err)
	}
	pos := make([]hub.Position, len(msgs))
	for i := range pos {
		p, err := parsePos(res[2*i : 2*i+2])
		if err == nil && p.Offset == 0 {
			err = fmt.Errorf("unexpected reply %v", res[2*i:2*i+2])
		}
		if err != nil {
			return nil, fail(caller, "append to", topic, err)
		}
		pos[i] = p
	}
	return pos, nil
}

// Read implements [hub.Backend] with one script: the topic's head, its
// oldest retained entry, and an XRANGE from the exclusive bound
// "(<offset>-0". It waits at most [Options.Timeout].
func (b *Backend) Read(ctx context.Context, topic string, after hub.Position, limit int) (hub.Batch, error) {
	if b.closed.Load() {
		return hub.Batch{}, errClosed
	}
	if err := ctx.Err(); err != nil {
		return hub.Batch{}, fmt.Errorf("redishub: read %s: %w", topic, err)
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	res, err := readScript.Run(ctx, b.client, b.keys(topic),
		after.Epoch, strconv.FormatUint(after.Offset, 10), max(limit, 0)).Slice()
	if errors.Is(err, redis.Nil) {
		return hub.Batch{Lost: !after.IsZero()}, nil // a topic Redis has never heard of
	}
	if err != nil {
		return hub.Batch{}, fail(caller, "read", topic, err)
	}
	batch, err := parseBatch(res, after)
	if err != nil {
		return hub.Batch{}, fail(caller, "read", topic, err)
	}
	return batch, nil
}

// Subscribe implements [hub.Backend]. The first listener of a topic in
// this process subscribes the shared Pub/Sub connection to the topic's
// channel and waits for Redis's confirmation; the others join it. The
// head is read once the subscription is live, giving the topic an epoch if
// it has none. Setup waits at most [Options.Timeout]: while Redis is out
// of reach, Subscribe fails.
//
// Listeners are called from the backend's reader goroutine, one at a
// time; a listener that takes long delays the events of every topic of
// this backend. After the Pub/Sub connection was lost and replaced, each
// listener of a topic that was live gets Gap. Subscribe must not be
// called from a Listener of the same backend: the confirmation it waits
// for is read by the goroutine that calls the listeners.
func (b *Backend) Subscribe(ctx context.Context, topic string, l hub.Listener) (hub.Position, func(), error) {
	if b.closed.Load() {
		return hub.Position{}, nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return hub.Position{}, nil, fmt.Errorf("redishub: subscribe to %s: %w", topic, err)
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()

	ch := b.channel(topic)
	e := &entry{l: l}
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return hub.Position{}, nil, errClosed
	}
	t := b.topics[ch]
	if t == nil {
		t = &rtopic{name: topic}
		b.topics[ch] = t
	}
	t.ls = append(slices.Clip(t.ls), e)
	var ready chan struct{}
	if !t.subscribed {
		if t.ready == nil {
			t.ready = make(chan struct{})
		}
		ready = t.ready
		b.dirty[ch] = struct{}{}
	}
	b.mu.Unlock()

	if ready != nil {
		wake(b.poke)
		select {
		case <-ready:
		case <-ctx.Done():
			b.remove(ch, t, e)
			return hub.Position{}, nil, fail(caller, "subscribe to", topic,
				fmt.Errorf("no confirmation of the subscription: %w", ctx.Err()))
		case <-b.done:
			b.remove(ch, t, e)
			return hub.Position{}, nil, errClosed
		}
	}
	head, err := b.head(ctx, topic)
	if err != nil {
		b.remove(ch, t, e)
		return hub.Position{}, nil, fail(caller, "subscribe to", topic, err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { b.remove(ch, t, e) }) }
	return head, stop, nil
}

// head returns the topic's head, giving it an epoch if it has none.
func (b *Backend) head(ctx context.Context, topic string) (hub.Position, error) {
	res, err := headScript.Run(ctx, b.client, b.keys(topic), hub.NewEpoch(), b.ttlMillis()).Slice()
	if err != nil {
		return hub.Position{}, err
	}
	return parsePos(res)
}

// remove takes e off t's listeners; the manager unsubscribes the channel
// once none is left.
func (b *Backend) remove(ch string, t *rtopic, e *entry) {
	e.stopped.Store(true)
	b.mu.Lock()
	if i := slices.Index(t.ls, e); i >= 0 {
		t.ls = slices.Delete(slices.Clone(t.ls), i, i+1)
	}
	empty := len(t.ls) == 0
	if empty && b.topics[ch] == t {
		b.dirty[ch] = struct{}{}
	}
	b.mu.Unlock()
	if empty {
		wake(b.poke)
	}
}

// Close implements [hub.Backend]: it closes the Pub/Sub connection, waits
// for the backend's goroutines to end, and closes the client if [Open]
// made it. Listeners get no calls after it returns; it must not be called
// from a Listener. Later calls fail with an error matching hub.ErrClosed;
// Close itself is idempotent.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	close(b.done)
	b.mu.Lock()
	ps := b.ps
	b.ps = nil
	clear(b.topics)
	clear(b.dirty)
	b.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	b.wg.Wait()
	if b.ownClient {
		return b.client.Close()
	}
	return nil
}

// fail wraps err, from an operation on topic that the caller started with
// context caller: with the caller's own error when the caller gave up,
// else with ErrUnavailable.
func fail(caller context.Context, op, topic string, err error) error {
	if cerr := caller.Err(); cerr != nil {
		return fmt.Errorf("redishub: %s %s: %w", op, topic, cerr)
	}
	return fmt.Errorf("redishub: %s %s: %w: %w", op, topic, ErrUnavailable, err)
}

// wake sends a non-blocking signal on c, which has room for one.
func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// parsePos parses the {epoch, offset} reply of a script.
func parsePos(res []any) (hub.Position, error) {
	if len(res) < 2 {
		return hub.Position{}, fmt.Errorf("unexpected reply %v", res)
	}
	epoch, ok := res[0].(string)
	if !ok || !hub.ValidEpoch(epoch) {
		return hub.Position{}, fmt.Errorf("invalid epoch %v in Redis", res[0])
	}
	var off uint64
	switch v := res[1].(type) {
	case int64:
		if v < 0 {
			return hub.Position{}, fmt.Errorf("invalid offset %d in Redis", v)
		}
		off = uint64(v)
	case string:
		var err error
		if off, err = strconv.ParseUint(v, 10, 64); err != nil {
			return hub.Position{}, fmt.Errorf("invalid offset %q in Redis", v)
		}
	default:
		return hub.Position{}, fmt.Errorf("invalid offset %v in Redis", res[1])
	}
	return hub.Position{Epoch: epoch, Offset: off}, nil
}

// parseEntryID returns the offset of a stream entry ID, "<offset>-0".
func parseEntryID(id string) (uint64, error) {
	s, ok := strings.CutSuffix(id, "-0")
	off, err := strconv.ParseUint(s, 10, 64)
	if !ok || err != nil || off == 0 {
		return 0, fmt.Errorf("unexpected stream entry ID %q", id)
	}
	return off, nil
}

// parseBatch turns readScript's reply into a Batch for a read after
// position after.
func parseBatch(res []any, after hub.Position) (hub.Batch, error) {
	head, err := parsePos(res)
	if err != nil || len(res) < 4 {
		return hub.Batch{}, fmt.Errorf("unexpected reply %v", res)
	}
	batch := hub.Batch{Head: head}
	oldest := head.Offset + 1
	if id, ok := res[2].(string); ok {
		if oldest, err = parseEntryID(id); err != nil {
			return hub.Batch{}, err
		}
	}
	if after.IsZero() {
		after = hub.Position{Epoch: head.Epoch, Offset: oldest - 1}
	}
	if after.Epoch != head.Epoch || after.Offset > head.Offset || after.Offset+1 < oldest {
		batch.Lost = true
		return batch, nil
	}
	entries, _ := res[3].([]any)
	if len(entries) == 0 {
		return batch, nil
	}
	batch.Records = make([]hub.Record, 0, len(entries))
	for i, raw := range entries {
		want := after.Offset + 1 + uint64(i)
		r, err := parseEntry(raw, head.Epoch, want)
		if err != nil {
			return hub.Batch{}, err
		}
		batch.Records = append(batch.Records, r)
	}
	return batch, nil
}

// parseEntry parses one XRANGE entry, {id, {field, value, ...}}, which
// must be at offset want.
func parseEntry(raw any, epoch string, want uint64) (hub.Record, error) {
	e, ok := raw.([]any)
	if !ok || len(e) != 2 {
		return hub.Record{}, fmt.Errorf("unexpected stream entry %v", raw)
	}
	id, _ := e[0].(string)
	off, err := parseEntryID(id)
	if err != nil {
		return hub.Record{}, err
	}
	if off != want {
		return hub.Record{}, fmt.Errorf("history is not a sequence: entry %s where %d-0 belongs", id, want)
	}
	r := hub.Record{Pos: hub.Position{Epoch: epoch, Offset: off}}
	fields, _ := e[1].([]any)
	for i := 0; i+1 < len(fields); i += 2 {
		name, _ := fields[i].(string)
		value, _ := fields[i+1].(string)
		switch name {
		case "t":
			r.Type = value
		case "d":
			r.Data = value
		}
	}
	return r, nil
}
