package natshub

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/streamkit/streamkit/hub"
)

// Backend is a [hub.Backend] on NATS JetStream: each topic is a stream
// whose sequence numbers are the events' offsets, live events come through
// one ephemeral consumer per topic with local listeners, and publishes
// carry a Nats-Msg-Id so that a retried publish is stored once. Hubs in
// several processes that share a NATS server (or cluster) serve the same
// topics.
//
// A Backend uses the one NATS connection it is given or opens, however
// many topics and listeners it has; one goroutine of its own watches the
// connection, one per topic with listeners feeds them, and, with
// [Options.DeleteIdle], one deletes the streams of idle topics.
//
// Create one per process with [New] or [Open], pass it as
// hub.Options.Backend, and Close it after the hub. All methods are safe for
// concurrent use.
type Backend struct {
	cfg     config
	nc      *nats.Conn
	js      jetstream.JetStream
	ownConn bool

	closed   atomic.Bool
	done     chan struct{}   // closed by Close
	ctx      context.Context // ends with Close; bounds the sweeps
	stop     context.CancelFunc
	wg       sync.WaitGroup
	statusCh chan nats.Status
	link     atomic.Pointer[link] // the current connection
	advCh    chan *nats.Msg       // JetStream's stream-deleted advisories
	advSub   *nats.Subscription   // nil if the account may not subscribe to them

	// clock orders what the backend records of sequences against the
	// moments its publishes are sent; see epochFor.
	clock atomic.Uint64

	mu     sync.Mutex
	topics map[string]*ntopic
	epochs map[string]epochEntry // by stream name: what Append last learned
}

// link is one connection, from when it is up until it is lost; nats.go
// reconnects the same *nats.Conn, so each reconnect starts a new link.
type link struct {
	gen  uint64
	ctx  context.Context // ends when the connection is lost
	lost context.CancelFunc
	next chan struct{} // closed once the next link is up
}

// epochEntry is a topic's epoch as Append knows it, learned on link gen;
// last is the highest sequence seen in it, recorded at lastAt.
type epochEntry struct {
	epoch  string
	gen    uint64
	last   uint64
	lastAt uint64 // b.clock when last was recorded
}

// deletedAdvisories is the subject of JetStream's advisories of deleted
// streams; the stream's name is the last token.
const deletedAdvisories = "$JS.EVENT.ADVISORY.STREAM.DELETED.*"

// advisoryBuffer is how many advisories may wait to be read.
const advisoryBuffer = 1024

// maxEpochCache bounds the epochs Append remembers; past it they are
// forgotten and read again.
const maxEpochCache = 4096

// ErrUnavailable reports that NATS did not serve an operation: the
// connection was down, the server did not answer within
// [Options.Timeout], or it answered with an error. The error wraps the
// cause too. Handlers answer it with 503 Service Unavailable; the hub
// passes it through, wrapped, from Publish and Subscribe.
var ErrUnavailable = errors.New("natshub: NATS unavailable")

var (
	errClosed = fmt.Errorf("natshub: %w", hub.ErrClosed)

	// errNotConnected is the cause when an operation starts while the
	// connection is down.
	errNotConnected = errors.New("not connected to NATS")

	// errEpochChanged is what Listener.Gap gets when a topic's stream was
	// replaced (deleted and created again, or lost by a server that
	// restarted without its store).
	errEpochChanged = errors.New("natshub: the topic's stream was replaced; its history is lost")
)

// Backoff between two attempts to rebuild a live feed.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// New returns a Backend on the connection nc, configured by opts (nil
// means the defaults, see [Options]). The connection stays the caller's:
// Close does not close it. It should be made with nats.ReconnectBufSize(-1)
// (as [Open] does), so that nothing published while it is down is sent
// later behind the backend's back; the backend itself does not publish
// while it is down.
//
// New does not talk to NATS; the first operation does. It fails only on a
// nil or closed connection or invalid options.
func New(nc *nats.Conn, opts *Options) (*Backend, error) {
	if nc == nil || nc.IsClosed() {
		return nil, errors.New("natshub: New: nil or closed connection")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natshub: New: %w", err)
	}
	b := &Backend{
		cfg:      cfg,
		nc:       nc,
		js:       js,
		done:     make(chan struct{}),
		statusCh: nc.StatusChanged(nats.CONNECTED, nats.RECONNECTING, nats.DISCONNECTED, nats.CLOSED),
		topics:   make(map[string]*ntopic),
		epochs:   make(map[string]epochEntry),
	}
	b.ctx, b.stop = context.WithCancel(context.Background())
	b.link.Store(newLink(1))
	if !nc.IsConnected() {
		b.link.Load().lost()
	}
	b.advCh = make(chan *nats.Msg, advisoryBuffer)
	if sub, err := nc.ChanSubscribe(deletedAdvisories, b.advCh); err == nil {
		b.advSub = sub
	} else {
		cfg.log.Warn("natshub: cannot follow stream deletions; publishes may report a stale epoch for a while after a stream is replaced", "err", err)
	}
	b.wg.Add(1)
	go b.watch()
	if cfg.deleteIdle > 0 {
		b.wg.Add(1)
		go b.sweeper()
	}
	return b, nil
}

// Open connects to the NATS server at url (a comma-separated list of
// servers is accepted, as by nats.Connect), checks that JetStream answers
// within [Options.Timeout] (and ctx), and returns a Backend that owns the
// connection: Close closes it. The connection reconnects forever, with
// nats.ReconnectBufSize(-1); extra connection options (credentials, TLS)
// go in natsOpts.
func Open(ctx context.Context, url string, opts *Options, natsOpts ...nats.Option) (*Backend, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	shown := redactURLs(url)
	for _, u := range strings.Split(url, ",") {
		if scheme, _, ok := strings.Cut(strings.TrimSpace(u), "://"); ok && !slices.Contains([]string{"nats", "tls", "ws", "wss"}, scheme) {
			return nil, fmt.Errorf("natshub: open %s: the scheme %q is not one of nats, tls, ws, wss", shown, scheme)
		}
	}
	o := append([]nats.Option{
		nats.Name("streamkit-natshub"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(minBackoff),
		nats.ReconnectBufSize(-1),
		nats.Timeout(cfg.timeout),
	}, natsOpts...)
	nc, err := nats.Connect(url, o...)
	if err != nil {
		return nil, fmt.Errorf("natshub: open %s: %w: %w", shown, ErrUnavailable, err)
	}
	b, err := New(nc, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	b.ownConn = true
	actx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if _, err := b.js.AccountInfo(actx); err != nil {
		b.Close()
		return nil, fmt.Errorf("natshub: open %s: JetStream does not answer: %w: %w", shown, ErrUnavailable, err)
	}
	return b, nil
}

// redactURLs returns a comma-separated list of server URLs with their
// passwords and tokens masked, for error messages.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		u, err := neturl.Parse(strings.TrimSpace(p))
		switch {
		case err != nil:
			parts[i] = "(unparsable URL)"
		case u.User != nil:
			if _, ok := u.User.Password(); !ok {
				u.User = neturl.User("xxxxx") // a token
			}
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

// Conn returns the connection the backend uses, for monitoring.
func (b *Backend) Conn() *nats.Conn { return b.nc }

func newLink(gen uint64) *link {
	ctx, cancel := context.WithCancel(context.Background())
	return &link{gen: gen, ctx: ctx, lost: cancel, next: make(chan struct{})}
}

// watch follows the connection's status until Close: a lost connection
// ends the current link, and a restored one starts the next and has every
// live feed rebuilt, since the server may have lost their consumers.
func (b *Backend) watch() {
	defer b.wg.Done()
	for {
		select {
		case <-b.done:
			return
		case m := <-b.advCh:
			b.forget(m)
		case s, ok := <-b.statusCh:
			if !ok {
				return
			}
			// Statuses may be dropped when they come fast: trust the
			// connection's own over the event.
			if b.nc.IsConnected() {
				s = nats.CONNECTED
			} else if s == nats.CONNECTED {
				s = nats.RECONNECTING
			}
			l := b.link.Load()
			if s != nats.CONNECTED {
				l.lost()
				continue
			}
			if l.ctx.Err() == nil {
				continue // still the same connection
			}
			b.link.Store(newLink(l.gen + 1))
			close(l.next)
			b.cfg.log.Info("natshub: connection to NATS restored")
			b.mu.Lock()
			for _, t := range b.topics {
				t.rebuild()
			}
			b.mu.Unlock()
		}
	}
}

// Append implements [hub.Backend]: it publishes the event on the topic's
// subject with a Nats-Msg-Id and waits for JetStream's acknowledgement,
// which gives its sequence, the event's offset. A topic without a stream
// gets one, with a new epoch. It waits at most [Options.Timeout].
//
// When the connection is down as Append starts, it fails at once. When it
// drops while Append waits, Append waits for it to come back (within the
// timeout) and publishes again with the same Nats-Msg-Id, which JetStream
// stores once. A message with a [hub.Message.Key] is published with the
// Key as its Nats-Msg-Id, which makes a caller's own retries (of
// hub.Publish, say) as safe: a repeat within the stream's de-duplication
// window ([Options.Duplicates]) stores nothing and returns the first
// position.
func (b *Backend) Append(ctx context.Context, topic string, m hub.Message) (hub.Position, error) {
	if b.closed.Load() {
		return hub.Position{}, errClosed
	}
	if err := ctx.Err(); err != nil {
		return hub.Position{}, fmt.Errorf("natshub: append to %s: %w", topic, err)
	}
	id := m.Key
	if id == "" {
		id = nuid.Next()
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	msg := b.message(topic, m)
	msg.Header.Set(msgIDHeader, id)
	sentAt := b.clock.Load()
	seq, gen, err := b.publish(ctx, topic, msg)
	if err != nil {
		return hub.Position{}, fail(caller, "append to", topic, err)
	}
	epoch, err := b.epochFor(ctx, topic, seq, seq, gen, sentAt)
	if err != nil {
		return hub.Position{}, fail(caller, "append to", topic, err)
	}
	return hub.Position{Epoch: epoch, Offset: seq}, nil
}

// message returns a message carrying m on topic's subject, without an ID.
func (b *Backend) message(topic string, m hub.Message) *nats.Msg {
	msg := nats.NewMsg(b.cfg.subject(topic))
	msg.Data = []byte(m.Data)
	msg.Header.Set(expectStreamHeader, b.cfg.streamName(topic))
	if m.Type != "" {
		msg.Header.Set(typeHeader, escapeType(m.Type))
	}
	return msg
}

// publish sends msg and returns the sequence JetStream stored it at, and
// the link it was acknowledged on. It creates the topic's stream when none
// takes the subject, replaces one that lost its files (see repair), and
// sends msg again after the connection was lost and came back; msg
// carries an ID, so JetStream stores it once.
func (b *Backend) publish(ctx context.Context, topic string, msg *nats.Msg) (uint64, uint64, error) {
	stream := b.cfg.streamName(topic)
	created, repaired := false, false
	for {
		l := b.link.Load()
		if l.ctx.Err() != nil || !b.nc.IsConnected() {
			return 0, 0, errNotConnected
		}
		seq, err := b.request(ctx, l, stream, msg)
		switch {
		case err == nil:
			return seq, l.gen, nil
		case errors.Is(err, errNoStream) && !created:
			if _, err := b.ensureStream(ctx, topic); err != nil {
				return 0, 0, err
			}
			created = true
			continue
		case lostStore(err) && !repaired:
			if err := b.repair(ctx, topic, err); err != nil {
				return 0, 0, err
			}
			repaired, created = true, false
			continue
		case l.ctx.Err() != nil && ctx.Err() == nil:
			// The connection dropped while the answer was due: the event
			// may be stored. Send it again on the next connection.
			select {
			case <-l.next:
				continue
			case <-ctx.Done():
				return 0, 0, fmt.Errorf("the connection dropped during the publish and did not come back: %w", ctx.Err())
			case <-b.done:
				return 0, 0, errClosed
			}
		}
		return 0, 0, err
	}
}

// request sends msg and waits for JetStream's answer, or for the end of
// ctx or of the link.
func (b *Backend) request(ctx context.Context, l *link, stream string, msg *nats.Msg) (uint64, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(l.ctx, cancel)
	defer stop()
	resp, err := b.nc.RequestMsgWithContext(rctx, msg)
	if errors.Is(err, nats.ErrNoResponders) {
		return 0, errNoStream
	}
	if err != nil {
		return 0, err
	}
	return parseAck(stream, resp.Header.Get("Status"), resp.Data)
}

// epochFor returns the epoch of topic's stream for events just stored at
// sequences lo..hi, on link gen, by publishes sent when b.clock read
// sentAt.
//
// The epoch is cached with the highest sequence this process was given in
// it. It is read again after a reconnect, after an advisory said the
// stream was deleted (nats-server sends those on a best-effort basis), and
// when lo is not past that highest sequence although the publish that
// recorded it had finished before this one was sent: in the same stream
// this one would have come after it, so the stream was replaced and
// started again. Publishes that overlap may be answered out of order; they
// are not taken for a replacement.
func (b *Backend) epochFor(ctx context.Context, topic string, lo, hi, gen, sentAt uint64) (string, error) {
	b.absorbAdvisories()
	name := b.cfg.streamName(topic)
	b.mu.Lock()
	e, ok := b.epochs[name]
	if ok && e.gen == gen && (lo > e.last || e.lastAt > sentAt) {
		if hi > e.last {
			e.last, e.lastAt = hi, b.clock.Add(1)
			b.epochs[name] = e
		}
		b.mu.Unlock()
		return e.epoch, nil
	}
	b.mu.Unlock()
	info, err := b.streamInfo(ctx, topic)
	if err != nil {
		return "", err
	}
	if info == nil {
		return "", fmt.Errorf("the stream of topic %s vanished right after a publish", topic)
	}
	epoch := epochOf(info.Config.Description, info.Created)
	b.remember(topic, epochEntry{epoch: epoch, gen: gen, last: min(hi, info.State.LastSeq)})
	return epoch, nil
}

// remember caches what the backend learned of topic's epoch.
func (b *Backend) remember(topic string, e epochEntry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.epochs) >= maxEpochCache {
		clear(b.epochs)
	}
	e.lastAt = b.clock.Add(1)
	b.epochs[b.cfg.streamName(topic)] = e
}

// absorbAdvisories forgets the epochs of the streams whose deletion has
// been announced so far.
func (b *Backend) absorbAdvisories() {
	for {
		select {
		case m := <-b.advCh:
			b.forget(m)
		default:
			return
		}
	}
}

// forget drops the cached epoch of the stream a deletion advisory names.
func (b *Backend) forget(m *nats.Msg) {
	name := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	b.mu.Lock()
	delete(b.epochs, name)
	b.mu.Unlock()
}

// streamInfo returns the state of topic's stream, or nil if it has none.
func (b *Backend) streamInfo(ctx context.Context, topic string) (*jetstream.StreamInfo, error) {
	s, err := b.js.Stream(ctx, b.cfg.streamName(topic))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.CachedInfo(), nil
}

// ensureStream returns the state of topic's stream, creating it with a
// new epoch and the configured limits if it has none. Of two processes
// creating it at once, one wins and the other reads the winner's.
func (b *Backend) ensureStream(ctx context.Context, topic string) (*jetstream.StreamInfo, error) {
	info, err := b.streamInfo(ctx, topic)
	if err != nil || info != nil {
		return info, err
	}
	cfg := jetstream.StreamConfig{
		Name:        b.cfg.streamName(topic),
		Description: describe(topic, hub.NewEpoch()),
		Subjects:    []string{b.cfg.subject(topic)},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxMsgs:     b.cfg.maxMsgs,
		MaxBytes:    b.cfg.maxBytes,
		MaxAge:      b.cfg.maxAge,
		Storage:     b.cfg.storage,
		Replicas:    b.cfg.replicas,
		Duplicates:  b.cfg.duplicates,
		AllowDirect: true,
	}
	s, err := b.js.CreateStream(ctx, cfg)
	if errCode(err) == errCodeStoreCreate {
		// The stream is being deleted, and its old files are in the way
		// (nats-server 2.9): try once more when they are gone.
		if err := b.pause(ctx); err != nil {
			return nil, err
		}
		s, err = b.js.CreateStream(ctx, cfg)
	}
	if errCode(err) == errCodeStreamNameInUse || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		info, err = b.streamInfo(ctx, topic)
		if err == nil && info == nil {
			err = errors.New("the stream was created and deleted at once")
		}
		return info, err
	}
	if errCode(err) == errCodeSubjectsOverlap {
		// nats-server answers so too when another process is making the
		// same stream at this moment: its subject is taken before its
		// name can be found. Wait for that stream; if it never appears,
		// another stream holds the subject.
		if info, lerr := b.awaitStream(ctx, topic); lerr != nil || info != nil {
			return info, lerr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("creating the stream: %w", err)
	}
	return s.CachedInfo(), nil
}

// overlapWaits is how many times awaitStream looks for a stream another
// process is making, doubling its pause from minBackoff/8 each time:
// about 0.4 s in all.
const overlapWaits = 6

// awaitStream looks for topic's stream a few times, in growing pauses,
// while another process finishes making it; nil if it never appears.
func (b *Backend) awaitStream(ctx context.Context, topic string) (*jetstream.StreamInfo, error) {
	pause := minBackoff / 8
	for range overlapWaits {
		if err := b.sleep(ctx, pause); err != nil {
			return nil, err
		}
		info, err := b.streamInfo(ctx, topic)
		if err != nil || info != nil {
			return info, err
		}
		pause *= 2
	}
	return nil, nil
}

// repair deletes topic's stream, which lost its files (lostStore(cause)),
// and waits for the deletion to end, so that the next publish creates it
// again. Such a stream stores nothing: deleting it loses nothing.
func (b *Backend) repair(ctx context.Context, topic string, cause error) error {
	b.cfg.log.Warn("natshub: a topic's stream lost its files (created while nats-server deleted it); replacing it", "topic", topic, "err", cause)
	err := b.js.DeleteStream(ctx, b.cfg.streamName(topic))
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("deleting a stream that lost its files: %w", err)
	}
	return b.pause(ctx)
}

// pause waits for nats-server to finish deleting a stream: as long as
// a feed whose consumer was deleted (see deletionBackoff).
func (b *Backend) pause(ctx context.Context) error {
	return b.sleep(ctx, minBackoff<<(deletionBackoff-1))
}

// sleep waits for d, unless ctx ends or the backend is closed first.
func (b *Backend) sleep(ctx context.Context, d time.Duration) error {
	wait := time.NewTimer(d)
	defer wait.Stop()
	select {
	case <-wait.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return errClosed
	}
}

// Read implements [hub.Backend]: one request for the stream's state, then
// the events by sequence, several requests in flight at once (JetStream's
// direct get where the stream allows it). It waits at most
// [Options.Timeout]. A message deleted from the middle of the stream ends
// the records before it; a read right after it reports Lost.
func (b *Backend) Read(ctx context.Context, topic string, after hub.Position, limit int) (hub.Batch, error) {
	if b.closed.Load() {
		return hub.Batch{}, errClosed
	}
	if err := ctx.Err(); err != nil {
		return hub.Batch{}, fmt.Errorf("natshub: read %s: %w", topic, err)
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	if !b.nc.IsConnected() {
		return hub.Batch{}, fail(caller, "read", topic, errNotConnected)
	}
	for attempt := 1; ; attempt++ {
		batch, err := b.read(ctx, topic, after, limit)
		if err != nil {
			return hub.Batch{}, fail(caller, "read", topic, err)
		}
		// From the oldest event retained, the oldest may have been trimmed
		// between the two steps: look again.
		if !batch.Lost || !after.IsZero() {
			return batch, nil
		}
		if attempt == 3 {
			return hub.Batch{Head: batch.Head}, nil
		}
	}
}

// read is one attempt at Read.
func (b *Backend) read(ctx context.Context, topic string, after hub.Position, limit int) (hub.Batch, error) {
	s, err := b.js.Stream(ctx, b.cfg.streamName(topic))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return hub.Batch{Lost: !after.IsZero()}, nil // a topic NATS has never heard of
	}
	if err != nil {
		return hub.Batch{}, err
	}
	info := s.CachedInfo()
	epoch := epochOf(info.Config.Description, info.Created)
	batch := hub.Batch{Head: hub.Position{Epoch: epoch, Offset: info.State.LastSeq}}
	oldest := info.State.FirstSeq
	if info.State.Msgs == 0 {
		oldest = info.State.LastSeq + 1
	}
	if after.IsZero() {
		after = hub.Position{Epoch: epoch, Offset: oldest - 1}
	}
	if after.Epoch != epoch || after.Offset > info.State.LastSeq || after.Offset+1 < oldest {
		batch.Lost = true
		return batch, nil
	}
	count := min(info.State.LastSeq-after.Offset, uint64(max(limit, 0)))
	if count == 0 {
		return batch, nil
	}
	recs, err := b.getRange(ctx, s, epoch, after.Offset+1, int(count))
	if err != nil {
		return hub.Batch{}, err
	}
	if len(recs) == 0 {
		batch.Lost = true // the next event was deleted or trimmed meanwhile
		return batch, nil
	}
	batch.Records = recs
	return batch, nil
}

// readers is how many direct gets a Read keeps in flight.
const readers = 8

// getRange fetches the events at sequences from .. from+n-1 and returns
// them up to the first one missing.
func (b *Backend) getRange(ctx context.Context, s jetstream.Stream, epoch string, from uint64, n int) ([]hub.Record, error) {
	recs := make([]hub.Record, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := range min(n, readers) {
		wg.Go(func() {
			for i := w; i < n; i += readers {
				m, err := s.GetMsg(ctx, from+uint64(i))
				if err != nil {
					errs[i] = err
					continue
				}
				recs[i] = record(epoch, m.Sequence, m.Header, m.Data)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			return recs[:i], nil
		case err != nil:
			return nil, err
		case recs[i].Pos.Offset != from+uint64(i):
			return nil, fmt.Errorf("asked for sequence %d, got %d", from+uint64(i), recs[i].Pos.Offset)
		}
	}
	return recs, nil
}

// record makes the hub's record of a stored message.
func record(epoch string, seq uint64, h nats.Header, data []byte) hub.Record {
	r := hub.Record{Pos: hub.Position{Epoch: epoch, Offset: seq}, Data: string(data)}
	if t := h.Get(typeHeader); t != "" {
		r.Type = unescapeType(t)
	}
	return r
}

// Close implements [hub.Backend]: it stops every live feed, waits for the
// backend's goroutines to end, and closes the connection if [Open] made
// it. Listeners get no calls after it returns; it must not be called from
// a Listener. Later calls fail with an error matching hub.ErrClosed; Close
// itself is idempotent.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	close(b.done)
	b.stop()
	b.mu.Lock()
	for name, t := range b.topics {
		t.halt()
		delete(b.topics, name)
	}
	b.mu.Unlock()
	b.nc.RemoveStatusListener(b.statusCh)
	if b.advSub != nil {
		_ = b.advSub.Unsubscribe()
	}
	b.wg.Wait()
	b.link.Load().lost()
	if b.ownConn {
		b.nc.Close()
	}
	return nil
}

// fail wraps err, from an operation on topic that the caller started with
// context caller: with the caller's own error when the caller gave up,
// else with ErrUnavailable.
func fail(caller context.Context, op, topic string, err error) error {
	if cerr := caller.Err(); cerr != nil {
		return fmt.Errorf("natshub: %s %s: %w", op, topic, cerr)
	}
	if errors.Is(err, hub.ErrClosed) {
		return fmt.Errorf("natshub: %s %s: %w", op, topic, err)
	}
	return fmt.Errorf("natshub: %s %s: %w: %w", op, topic, ErrUnavailable, err)
}

// batchMsgID returns the ID of message i of a batch whose ID is base.
func batchMsgID(base string, i int) string { return base + "-" + strconv.Itoa(i) }
