package natshub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
)

// MaxBatch is the most messages one [Backend.AppendBatch] takes.
const MaxBatch = 10000

// The hub's PublishBatch uses AppendBatch.
var _ hub.BatchAppender = (*Backend)(nil)

// AppendBatch implements [hub.BatchAppender]: it stores msgs as the next
// events of topic, in their order, and returns their positions; the
// topic's listeners, in every process, get them as any others. It is the
// path hub.Hub.PublishBatch takes for a publisher with many events at hand: every message is sent at once and the acknowledgements are
// awaited together, instead of one round trip per event as with
// [Backend.Append] (which the hub's Publish calls).
//
// Each message carries a Nats-Msg-Id (its [hub.Message.Key], or
// "<base>-<index>" with a fresh base), and each after the first a
// Nats-Expected-Last-Msg-Id naming the one before it, so that JetStream
// stores a message only right after its predecessor among the messages
// carrying IDs: the events keep their order even when a message is lost on
// the way, and events other publishers append meanwhile may come between
// them but never reorder them. What was not acknowledged is sent again, in
// order, until the timeout; duplicates are stored once.
//
// AppendBatch checks topic and the messages' types as hub.Hub.Publish
// does. On an error, the events of the returned positions (a prefix of
// msgs) are stored; the others may or may not be: give every message a Key
// and call again with the same messages to complete the batch without
// storing any event twice. It
// waits at most [Options.Timeout], and is safe for concurrent use.
func (b *Backend) AppendBatch(ctx context.Context, topic string, msgs []hub.Message) ([]hub.Position, error) {
	if b.closed.Load() {
		return nil, errClosed
	}
	if err := checkBatch(topic, msgs); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("natshub: append to %s: %w", topic, err)
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	base := nuid.Next()
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()

	out := make([]*nats.Msg, len(msgs))
	for i, m := range msgs {
		out[i] = b.message(topic, m)
		id := m.Key
		if id == "" {
			id = batchMsgID(base, i)
		}
		out[i].Header.Set(msgIDHeader, id)
	}
	stream := b.cfg.streamName(topic)
	pos := make([]hub.Position, 0, len(msgs))
	created, repaired := false, false
	for len(pos) < len(msgs) {
		l := b.link.Load()
		if l.ctx.Err() != nil || !b.nc.IsConnected() {
			return pos, fail(caller, "append to", topic, errNotConnected)
		}
		sentAt := b.clock.Load()
		seqs, err := b.pipeline(ctx, l, stream, out[len(pos):])
		if len(seqs) > 0 {
			epoch, eerr := b.epochFor(ctx, topic, seqs[0], seqs[len(seqs)-1], l.gen, sentAt)
			if eerr != nil {
				return pos, fail(caller, "append to", topic, eerr)
			}
			for _, s := range seqs {
				pos = append(pos, hub.Position{Epoch: epoch, Offset: s})
			}
		}
		switch {
		case err == nil || len(seqs) > 0:
			// Done, or some progress: go on from the first message not
			// stored, which the next round sends without a chain.
			continue
		case errors.Is(err, errNoStream) && !created:
			if _, err := b.ensureStream(ctx, topic); err != nil {
				return pos, fail(caller, "append to", topic, err)
			}
			created = true
			continue
		case lostStore(err) && !repaired:
			if err := b.repair(ctx, topic, err); err != nil {
				return pos, fail(caller, "append to", topic, err)
			}
			repaired, created = true, false
			continue
		case l.ctx.Err() != nil && ctx.Err() == nil:
			select {
			case <-l.next:
				continue
			case <-ctx.Done():
			case <-b.done:
				return pos, errClosed
			}
		}
		return pos, fail(caller, "append to", topic, err)
	}
	return pos, nil
}

// checkBatch applies the hub's rules for a topic name and message types.
func checkBatch(topic string, msgs []hub.Message) error {
	if !hub.ValidTopic(topic) {
		return fmt.Errorf("natshub: append: %w", hub.ErrInvalidTopic)
	}
	if len(msgs) > MaxBatch {
		return fmt.Errorf("natshub: append to %s: %d messages; at most %d in a batch", topic, len(msgs), MaxBatch)
	}
	var buf []byte
	for i := range msgs {
		if msgs[i].Key != "" && !hub.ValidKey(msgs[i].Key) {
			return fmt.Errorf("natshub: append to %s: message %d: %w", topic, i, hub.ErrInvalidKey)
		}
		if msgs[i].Type == "" {
			continue
		}
		var err error
		if buf, err = sse.AppendEvent(buf[:0], &sse.Event{Type: msgs[i].Type}); err != nil {
			return fmt.Errorf("natshub: append to %s: message %d: %w", topic, i, err)
		}
	}
	return nil
}

// pipeline sends msgs on link l, each after the first chained to its
// predecessor, and waits for all the answers. It returns the sequences of
// the leading messages that were stored, and why the next one was not.
func (b *Backend) pipeline(ctx context.Context, l *link, stream string, msgs []*nats.Msg) ([]uint64, error) {
	inbox := b.nc.NewInbox()
	answers := make(chan *nats.Msg, len(msgs))
	sub, err := b.nc.ChanSubscribe(inbox+".*", answers)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()

	sent := 0
	var sendErr error
	for i, m := range msgs {
		m.Reply = inbox + "." + strconv.Itoa(i)
		if i == 0 {
			m.Header.Del(expectLastIDHeader)
		} else {
			m.Header.Set(expectLastIDHeader, msgs[i-1].Header.Get(msgIDHeader))
		}
		if sendErr = b.nc.PublishMsg(m); sendErr != nil {
			break
		}
		sent++
	}

	seqs := make([]uint64, sent)
	errs := make([]error, sent)
	for n := 0; n < sent; n++ {
		select {
		case a := <-answers:
			i, err := strconv.Atoi(a.Subject[strings.LastIndexByte(a.Subject, '.')+1:])
			if err != nil || i < 0 || i >= sent || seqs[i] != 0 || errs[i] != nil {
				n-- // not an answer to this round
				continue
			}
			seqs[i], errs[i] = parseAck(stream, a.Header.Get("Status"), a.Data)
		case <-ctx.Done():
			return leading(seqs, errs, ctx.Err())
		case <-l.ctx.Done():
			return leading(seqs, errs, errors.New("the connection dropped during the publish"))
		}
	}
	if sendErr == nil {
		sendErr = errors.New("no answer")
	}
	return leading(seqs, errs, sendErr)
}

// leading returns the sequences of the leading messages that were stored,
// in strictly increasing order, and the error of the first one that was
// not (or missing, for one without an answer).
func leading(seqs []uint64, errs []error, missing error) ([]uint64, error) {
	for i, s := range seqs {
		switch {
		case errs[i] != nil:
			return seqs[:i], errs[i]
		case s == 0:
			return seqs[:i], missing
		case i > 0 && s <= seqs[i-1]:
			return seqs[:i], fmt.Errorf("message %d stored at sequence %d, not after %d", i, s, seqs[i-1])
		}
	}
	return seqs, nil
}
