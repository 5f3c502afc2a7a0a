package redishub

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// The Pub/Sub connection is driven by two goroutines:
//
//   - the manager is the only one that sends SUBSCRIBE and UNSUBSCRIBE. It
//     keeps at most one command in flight per channel, so that Redis's
//     confirmations, which come in order, say exactly which state a channel
//     is in; and it opens a new connection, with a backoff, after one is
//     lost.
//   - the reader receives from the connection: confirmations, which it
//     applies to the topics' state, and messages, which it hands to the
//     listeners. When the connection has been silent for PingInterval it
//     pings; an error, or a second silent interval, ends that connection.
//
// A connection is never reused after an error: go-redis would reconnect
// and resubscribe on its own, but the backend could not tell which
// confirmations belong to which command. Instead each connection has a
// generation; when one fails, breakGen closes it, marks every topic that
// was live as needing a Gap, and the manager subscribes them all again on
// a new one. Once a topic's new subscription is confirmed, its listeners
// get Gap and the hub reads the history for what it missed.

// manage runs the manager until Close.
func (b *Backend) manage() {
	defer b.wg.Done()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-b.poke:
		case <-retry.C:
		}
		if wait := b.reconcile(); wait > 0 {
			retry.Reset(wait)
		}
	}
}

// reconcile sends the SUBSCRIBE and UNSUBSCRIBE commands that bring the
// connection in line with the topics that have listeners, opening a new
// connection if there is none. It returns how long to wait before it
// should run again, or 0 when it needs to run only on the next poke.
func (b *Backend) reconcile() time.Duration {
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return 0
	}
	var sub, unsub []string
	for ch := range b.dirty {
		t := b.topics[ch]
		if t == nil {
			delete(b.dirty, ch)
			continue
		}
		want := len(t.ls) > 0
		switch {
		case t.inflight:
			// The confirmation marks it dirty again.
			delete(b.dirty, ch)
		case want && !t.subscribed:
			sub = append(sub, ch)
		case !want && t.subscribed:
			unsub = append(unsub, ch)
		case !want:
			delete(b.topics, ch)
			delete(b.dirty, ch)
		default:
			delete(b.dirty, ch)
		}
	}
	if len(sub) == 0 && len(unsub) == 0 {
		b.mu.Unlock()
		return 0
	}
	if b.ps == nil {
		// Only subscriptions are due: a lost connection took the others.
		if wait := b.backoffLocked(); wait > 0 {
			b.mu.Unlock()
			return wait
		}
		b.ps = b.client.Subscribe(context.Background())
		wake(b.psReady)
	}
	for _, ch := range sub {
		b.topics[ch].inflight = true
		delete(b.dirty, ch)
	}
	for _, ch := range unsub {
		t := b.topics[ch]
		t.inflight, t.subscribed = true, false
		delete(b.dirty, ch)
	}
	ps, gen := b.ps, b.gen
	b.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.timeout)
	defer cancel()
	var err error
	if len(sub) > 0 {
		err = ps.Subscribe(ctx, sub...)
	}
	if err == nil && len(unsub) > 0 {
		err = ps.Unsubscribe(ctx, unsub...)
	}
	if err != nil {
		b.breakGen(gen, err)
	}
	return 0
}

// backoffLocked returns how long to wait before opening a connection after
// the last was lost; b.mu is held.
func (b *Backend) backoffLocked() time.Duration {
	if b.fails == 0 {
		return 0
	}
	d := min(minBackoff<<min(b.fails-1, 10), maxBackoff)
	return time.Until(b.broke.Add(d))
}

// breakGen ends connection generation gen after err: it closes the
// connection and has the manager subscribe every topic with listeners on a
// new one. It does nothing if gen has already ended.
func (b *Backend) breakGen(gen uint64, err error) {
	b.mu.Lock()
	if gen != b.gen || b.ps == nil {
		b.mu.Unlock()
		return
	}
	ps := b.ps
	b.ps = nil
	b.gen++
	b.fails++
	b.broke = time.Now()
	fails := b.fails
	for ch, t := range b.topics {
		t.needGap = t.needGap || t.subscribed
		t.subscribed, t.inflight = false, false
		b.dirty[ch] = struct{}{}
	}
	b.mu.Unlock()
	_ = ps.Close()
	if !b.closed.Load() {
		if b.cfg.obs != nil {
			b.cfg.obs.BackendDisconnected(err)
		}
		if fails == 1 {
			b.cfg.log.Warn("redishub: Pub/Sub connection lost; reconnecting", "err", err)
		} else {
			b.cfg.log.Debug("redishub: Pub/Sub connection failed again", "attempt", fails, "err", err)
		}
	}
	wake(b.poke)
}

// read runs the reader until Close.
func (b *Backend) read() {
	defer b.wg.Done()
	for {
		b.mu.Lock()
		ps, gen := b.ps, b.gen
		b.mu.Unlock()
		if b.closed.Load() {
			return
		}
		if ps == nil {
			select {
			case <-b.psReady:
			case <-b.done:
				return
			}
			continue
		}
		b.receive(ps, gen)
	}
}

// receive reads connection generation gen until it fails.
func (b *Backend) receive(ps *redis.PubSub, gen uint64) {
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(context.Background(), b.cfg.ping)
		if b.closed.Load() {
			return
		}
		if err != nil {
			if isTimeout(err) && !pinged {
				ctx, cancel := context.WithTimeout(context.Background(), b.cfg.timeout)
				err = ps.Ping(ctx)
				cancel()
				if err == nil {
					pinged = true
					continue
				}
			}
			b.breakGen(gen, err)
			return
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			b.dispatch(m)
		case *redis.Subscription:
			b.confirm(gen, m)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// confirm applies Redis's answer to a SUBSCRIBE or UNSUBSCRIBE. A topic
// that lost its subscription with a connection gets its epoch ensured
// (Redis may have come back empty) and its listeners get Gap.
func (b *Backend) confirm(gen uint64, s *redis.Subscription) {
	b.mu.Lock()
	t := b.topics[s.Channel]
	if gen != b.gen || t == nil {
		b.mu.Unlock()
		return
	}
	var gap []*entry
	restored := false
	switch s.Kind {
	case "subscribe":
		t.inflight, t.subscribed = false, true
		if t.ready != nil {
			close(t.ready)
			t.ready = nil
		}
		if t.needGap {
			t.needGap = false
			gap = t.ls
		}
		if len(t.ls) == 0 {
			b.dirty[s.Channel] = struct{}{}
		}
		restored = b.fails > 0
		b.fails = 0
	case "unsubscribe":
		t.inflight, t.subscribed = false, false
		b.dirty[s.Channel] = struct{}{}
	default:
		b.mu.Unlock()
		return
	}
	name := t.name
	b.mu.Unlock()
	wake(b.poke)
	if restored {
		b.cfg.log.Info("redishub: Pub/Sub connection restored")
		if b.cfg.obs != nil {
			b.cfg.obs.BackendReconnected()
		}
	}
	if len(gap) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.timeout)
	if _, err := b.head(ctx, name); err != nil {
		b.cfg.log.Warn("redishub: reading a topic's head after a reconnect", "topic", name, "err", err)
	}
	cancel()
	for _, e := range gap {
		if !e.stopped.Load() {
			e.l.Gap(errReconnected)
		}
	}
}

// dispatch hands a published event to its topic's listeners.
func (b *Backend) dispatch(m *redis.Message) {
	b.mu.Lock()
	var ls []*entry
	if t := b.topics[m.Channel]; t != nil {
		ls = t.ls
	}
	b.mu.Unlock()
	if len(ls) == 0 {
		return
	}
	r, ok := parsePayload(m.Payload)
	if !ok {
		b.cfg.log.Warn("redishub: ignoring a message that no backend published", "channel", m.Channel, "bytes", len(m.Payload))
		return
	}
	for _, e := range ls {
		if !e.stopped.Load() {
			e.l.Event(r)
		}
	}
}
