package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
)

// ErrStopped is the cause of a generation ended by [Generation.Stop] or
// [Generations.Close]. Clients get the translator's in-band error for it
// (the UI message stream's abort part).
var ErrStopped = errors.New("relay: generation stopped")

// errLost ends a resumed stream whose generation's events are no longer
// all in the hub's history.
var errLost = errors.New("relay: generation events lost from the history")

// DefaultKeep is how long a finished generation stays resumable by
// Last-Event-ID when [GenerationOptions.Keep] is zero.
const DefaultKeep = time.Minute

// GenerationOptions configures [Generations]. The zero value, and a nil
// *GenerationOptions, mean the defaults.
type GenerationOptions struct {
	// TopicPrefix starts the name of each generation's hub topic; the key
	// and a sequence number follow. "" means "gen.".
	TopicPrefix string

	// Keep is how long a finished generation can still be resumed by a
	// client that sends its Last-Event-ID. 0 means DefaultKeep.
	Keep time.Duration

	// Relay configures the relay loop: MaxEventSize, MaxDuration, hooks.
	// Its Stream field is not used: each resumed stream passes its own.
	Relay *Options
}

// Generations runs model answers to completion on the server, publishing
// the client's events into a hub topic per generation, so that an answer
// outlives the client that asked for it: a client that reconnects resumes
// with no gap and no duplicate, with the hub's memory or Redis backend
// alike. At most one generation runs per key (a chat ID); starting one
// stops the one before.
//
// The table of generations is kept in this process: with a shared hub
// backend, a client must reconnect to the process that runs its
// generation (sticky sessions), although the events themselves are in the
// shared store.
//
// All methods are safe for concurrent use. Close stops every generation
// and waits for them.
type Generations struct {
	hub    *hub.Hub
	prefix string
	keep   time.Duration
	relay  *Options

	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
	seq    atomic.Uint64

	mu     sync.Mutex
	gens   map[string]*Generation
	closed bool
}

// NewGenerations returns a Generations publishing into h.
func NewGenerations(h *hub.Hub, opts *GenerationOptions) *Generations {
	var o GenerationOptions
	if opts != nil {
		o = *opts
	}
	if o.TopicPrefix == "" {
		o.TopicPrefix = "gen."
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	g := &Generations{hub: h, prefix: o.TopicPrefix, keep: o.Keep, relay: o.Relay, gens: make(map[string]*Generation)}
	g.ctx, g.cancel = context.WithCancelCause(context.Background())
	return g
}

// ValidKey reports whether key can name a generation: 1 to 40 ASCII
// letters, digits, '-' and '_'. Keys come from clients (a chat ID): check
// them and answer 400 before calling Start.
func ValidKey(key string) bool {
	if len(key) == 0 || len(key) > 40 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Start sends the upstream request that do makes, with a context of the
// generation's own (not the client's: the answer must outlive it), and on
// a 2xx event stream starts relaying it in a new goroutine into the
// generation's topic, translated by tr, and returns the running
// generation. Any generation running under key is stopped first.
//
// When the request fails or the upstream answers with an error, nothing
// is started and Start returns the error, matching [ErrUpstream]: answer
// the client with [WriteError]. An invalid key returns an error too.
func (g *Generations) Start(key string, do func(ctx context.Context) (*http.Response, error), tr Translator) (*Generation, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("relay: invalid generation key %q", key)
	}
	ctx, cancel := context.WithCancelCause(g.ctx)
	resp, err := do(ctx)
	if err != nil {
		cancel(err)
		return nil, fmt.Errorf("%w: request: %w", ErrUpstream, err)
	}
	if uerr := checkAnswer(resp); uerr != nil {
		resp.Body.Close()
		cancel(uerr)
		return nil, uerr
	}
	gen := &Generation{
		key:    key,
		topic:  g.prefix + key + "." + strconv.FormatUint(g.seq.Add(1), 10),
		hub:    g.hub,
		tr:     tr,
		cancel: cancel,
	}
	gen.doneCtx, gen.markDone = context.WithCancel(context.Background())
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		resp.Body.Close()
		cancel(ErrStopped)
		return nil, fmt.Errorf("relay: start %s: %w", key, ErrStopped)
	}
	old := g.gens[key]
	g.gens[key] = gen
	g.wg.Add(1)
	g.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	go func() {
		defer g.wg.Done()
		gen.run(ctx, resp.Body, g.relay)
		time.AfterFunc(g.keep, func() { g.forget(gen) })
	}()
	return gen, nil
}

// forget drops gen from the table once its keep time is over, unless a
// newer generation took its key.
func (g *Generations) forget(gen *Generation) {
	g.mu.Lock()
	if g.gens[gen.key] == gen {
		delete(g.gens, gen.key)
	}
	g.mu.Unlock()
}

// Get returns the generation of key, running or finished within the keep
// time.
func (g *Generations) Get(key string) (*Generation, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gen, ok := g.gens[key]
	return gen, ok
}

// Stop stops the running generation of key, and reports whether there was
// one.
func (g *Generations) Stop(key string) bool {
	gen, ok := g.Get(key)
	if !ok || gen.Finished() {
		return false
	}
	gen.Stop()
	return true
}

// Resume answers a client's reconnection to the generation of key, the AI
// SDK's convention (GET {api}/{chatId}/stream): 204 No Content when there is
// no generation to resume, that is none under key, or a finished one and
// no lastEventID; otherwise it serves the generation after lastEventID
// ("" for from its start) with [Generation.ServeConn]. opts configures the
// stream.
func (g *Generations) Resume(c core.Conn, key, lastEventID string, opts *sse.Options) error {
	gen, ok := g.Get(key)
	if !ok || (lastEventID == "" && gen.Finished()) {
		return sse.NoContent(c)
	}
	return gen.ServeConn(c, lastEventID, opts)
}

// Close stops every running generation and waits for their goroutines to
// end. Generations started afterwards fail at once.
func (g *Generations) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.cancel(ErrStopped)
	g.wg.Wait()
}

// Generation is one model answer running server-side into its hub topic.
type Generation struct {
	key, topic string
	hub        *hub.Hub
	tr         Translator
	cancel     context.CancelCauseFunc
	doneCtx    context.Context // cancelled when the generation has ended
	markDone   context.CancelFunc

	mu      sync.Mutex // held while the first event is published
	firstID string
	lastPub string
	lastID  string // set when done: the ID of the generation's last event
	err     error
}

// Key returns the generation's key.
func (gen *Generation) Key() string { return gen.key }

// Topic returns the hub topic the generation publishes into.
func (gen *Generation) Topic() string { return gen.topic }

// Stop cancels the upstream request. The generation then publishes the
// translator's in-band error for [ErrStopped] and ends. Stop is idempotent.
func (gen *Generation) Stop() { gen.cancel(ErrStopped) }

// Done returns a channel closed when the generation has published its
// last event.
func (gen *Generation) Done() <-chan struct{} { return gen.doneCtx.Done() }

// Finished reports whether the generation has ended.
func (gen *Generation) Finished() bool {
	return gen.doneCtx.Err() != nil
}

// Err returns nil while the generation runs or when it completed, and
// why it failed otherwise: an error matching [ErrUpstream] or
// [ErrStopped].
func (gen *Generation) Err() error {
	if !gen.Finished() {
		return nil
	}
	return gen.err
}

func (gen *Generation) run(ctx context.Context, body io.ReadCloser, opts *Options) {
	p := publisher{gen}
	err := Copy(ctx, p, body, gen.tr, opts)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ErrUpstream) {
		// Stopped: the relay sent nothing for it; the subscribers are told.
		err = context.Cause(ctx)
		if ferr := gen.tr.Fail(p, err); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	gen.cancel(nil)
	gen.mu.Lock()
	gen.lastID, gen.err = gen.lastPub, err
	gen.mu.Unlock()
	gen.markDone()
}

// publisher is the Sender of a generation: it publishes each event into
// the topic.
type publisher struct{ gen *Generation }

func (p publisher) Send(e *sse.Event) error {
	g := p.gen
	g.mu.Lock()
	defer g.mu.Unlock()
	// The lock is held across the publish so that a subscriber asking
	// for the generation from its start sees either no event yet or the
	// first one's ID: never one published and not yet recorded.
	id, err := g.hub.Publish(context.Background(), g.topic, hub.Message{Type: e.Type, Data: e.Data})
	if err != nil {
		return err
	}
	if g.firstID == "" {
		g.firstID = id
	}
	g.lastPub = id
	return nil
}

// Subscribe returns a subscription to the generation's events after
// lastEventID, or from its first event when lastEventID is "". Subscribe
// before opening the client's stream, as with any hub subscription.
func (gen *Generation) Subscribe(ctx context.Context, lastEventID string) (*hub.Subscription, error) {
	gen.mu.Lock()
	defer gen.mu.Unlock()
	if lastEventID == "" && gen.firstID != "" {
		pos, ok := hub.ParseID(gen.firstID)
		if ok && pos.Offset > 0 {
			pos.Offset--
			lastEventID = pos.String()
		}
	}
	return gen.hub.Subscribe(ctx, gen.topic, lastEventID)
}

// ServeConn serves the generation on c after lastEventID ("" for from its
// start): it subscribes, opens the event stream with the translator's
// headers and opts, and calls [Generation.Serve].
func (gen *Generation) ServeConn(c core.Conn, lastEventID string, opts *sse.Options) error {
	sub, err := gen.Subscribe(c.Context(), lastEventID)
	if err != nil {
		c.SetHeader("Content-Type", "text/plain; charset=utf-8")
		if c.Start(http.StatusServiceUnavailable) == nil {
			c.Write([]byte("the generation cannot be served now\n")) //nolint:errcheck
			c.Flush()                                                //nolint:errcheck
		}
		return err
	}
	if h, ok := gen.tr.(HeaderSetter); ok {
		h.SetHeaders(c.SetHeader)
	}
	s, err := sse.NewStream(c, opts)
	if err != nil {
		sub.Close()
		return err
	}
	return gen.Serve(s, sub)
}

// Serve sends the generation's events from sub on s, each with its hub ID
// so that the client can resume after it, until the generation's last
// event was sent or the stream ends. It closes sub and s. It returns nil
// when the client got the whole generation, and an error when the stream
// ended first or the hub no longer holds all of it (the client then gets
// no terminal event and should start over).
func (gen *Generation) Serve(s *sse.Stream, sub *hub.Subscription) error {
	defer s.Close() //nolint:errcheck // Err records how the stream ended
	defer sub.Close()
	ctx := s.Context()
	// Next waits with a context that also ends when the generation does,
	// so that a subscriber that already has every event is not left
	// waiting for another.
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(gen.doneCtx, cancel)
	defer stop()
	for {
		next := waitCtx
		if gen.Finished() {
			gen.mu.Lock()
			last := gen.lastID
			gen.mu.Unlock()
			if last == "" || sub.LastID() == last {
				return nil
			}
			next = ctx
		}
		ev, err := sub.Next(next)
		if err != nil {
			if ctx.Err() == nil && waitCtx.Err() != nil && !errors.Is(err, hub.ErrClosed) {
				continue // the generation ended while we waited
			}
			if se := s.Err(); se != nil {
				return fmt.Errorf("relay: %w", se)
			}
			return fmt.Errorf("relay: %w", err)
		}
		if ev.Resync != "" {
			return errLost
		}
		if err := s.Send(&sse.Event{ID: ev.ID, Type: ev.Type, Data: ev.Data}); err != nil {
			return fmt.Errorf("relay: %w", err)
		}
	}
}
