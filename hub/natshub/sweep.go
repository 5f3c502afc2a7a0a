package natshub

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bounds of the time between two sweeps: a quarter of
// [Options.DeleteIdle], within these.
const (
	minSweepEvery = 100 * time.Millisecond
	maxSweepEvery = time.Minute
)

// sweepEvery returns how often the sweeper looks for idle streams.
func (c *config) sweepEvery() time.Duration {
	return min(max(c.deleteIdle/4, minSweepEvery), maxSweepEvery)
}

// sweeper deletes idle streams every c.sweepEvery() until Close.
func (b *Backend) sweeper() {
	defer b.wg.Done()
	every := b.cfg.sweepEvery()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-tick.C:
		}
		if !b.nc.IsConnected() {
			continue
		}
		ctx, cancel := context.WithTimeout(b.ctx, every+b.cfg.timeout)
		stop := context.AfterFunc(b.link.Load().ctx, cancel)
		n, err := b.sweep(ctx)
		stop()
		cancel()
		switch {
		case err != nil && !b.closed.Load():
			b.cfg.log.Debug("natshub: sweeping idle streams", "deleted", n, "err", err)
		case n > 0:
			b.cfg.log.Debug("natshub: deleted idle streams", "deleted", n)
		}
	}
}

// sweep deletes the idle streams of the backend's prefix, and returns
// how many it deleted. A stream is idle when the backend made it (its
// description carries an epoch), no process reads it (it has no
// consumer), no listener of this process waits for a consumer on it, and
// its last event, or its creation when it never had one, is older than
// Options.DeleteIdle by the server's clock (by this process's clock on
// servers before 2.10, which do not report theirs).
func (b *Backend) sweep(ctx context.Context) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the lister's goroutine if the loop stops early
	var idle []string
	list := b.js.ListStreams(ctx, jetstream.WithStreamListSubject(b.cfg.prefix+".*"))
	local := b.listened()
	for info := range list.Info() {
		if b.idle(info) && !local[info.Config.Name] {
			idle = append(idle, info.Config.Name)
		}
	}
	if err := list.Err(); err != nil {
		return 0, err
	}
	local = b.listened() // listeners may have come meanwhile
	n := 0
	for _, name := range idle {
		if local[name] {
			continue
		}
		err := b.js.DeleteStream(ctx, name)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return n, err
		}
		b.mu.Lock()
		delete(b.epochs, name)
		b.mu.Unlock()
		if err == nil {
			n++
		}
	}
	return n, nil
}

// idle tells whether the stream info describes should be deleted.
func (b *Backend) idle(info *jetstream.StreamInfo) bool {
	if _, ours := parseEpoch(info.Config.Description); !ours || info.State.Consumers > 0 {
		return false
	}
	last := info.Created
	if info.State.LastSeq > 0 && info.State.LastTime.After(last) {
		last = info.State.LastTime
	}
	now := info.TimeStamp
	if now.IsZero() {
		now = time.Now()
	}
	return now.Sub(last) >= b.cfg.deleteIdle
}

// listened returns the names of the streams of the topics that have
// listeners in this process.
func (b *Backend) listened() map[string]bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	names := make(map[string]bool, len(b.topics))
	for topic := range b.topics {
		names[b.cfg.streamName(topic)] = true
	}
	return names
}
