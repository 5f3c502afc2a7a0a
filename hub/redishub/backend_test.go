package redishub_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/redishub"
	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

func TestNewRejects(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   *redishub.Options
		want   string
	}{
		{"nil client", nil, nil, "nil client"},
		{"brace in prefix", client, &redishub.Options{Prefix: "app{1}:"}, "brace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := redishub.New(tt.client, tt.opts)
			if err == nil {
				b.Close()
				t.Fatalf("New succeeded; want an error about %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), "redishub: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v; want a redishub error about %q", err, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	srv := redistest.NewServer(t)
	ctx := hubtest.Context(t)

	t.Run("bad URL", func(t *testing.T) {
		if b, err := redishub.Open(ctx, "http://"+srv.Addr(), nil); err == nil {
			b.Close()
			t.Fatal("Open(http://...) succeeded; want an error")
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		down := redistest.NewServer(t)
		down.Stop()
		if b, err := redishub.Open(ctx, down.URL(), &redishub.Options{Timeout: 300 * time.Millisecond}); err == nil {
			b.Close()
			t.Fatal("Open of a stopped server succeeded; want an error")
		}
	})
	t.Run("ok", func(t *testing.T) {
		b, err := redishub.Open(ctx, srv.URL(), &redishub.Options{Logger: quiet})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		p, err := b.Append(ctx, "t", hub.Message{Data: "x"})
		if err != nil || p.Offset != 1 {
			t.Fatalf("Append = %+v, %v; want offset 1", p, err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := b.Append(ctx, "t", hub.Message{}); !errors.Is(err, hub.ErrClosed) {
			t.Errorf("Append after Close = %v; want ErrClosed", err)
		}
	})
}

// An event published through one process reaches the subscribers of the
// others, with the ID its publisher got.
func TestTwoProcesses(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil)
	b := newProc(t, srv.Addr(), "b", nil)
	sa := hubtest.Subscribe(t, a.hub, "chat", "")
	sb := hubtest.Subscribe(t, b.hub, "chat", "")

	ids := hubtest.PublishN(t, a.hub, "chat", 1, 3)
	ids = append(ids, hubtest.PublishN(t, b.hub, "chat", 4, 5)...)
	for _, s := range []*hub.Subscription{sa, sb} {
		expectEvents(t, s, dataRange(1, 5), ids)
	}
	for i, id := range ids {
		p, ok := hub.ParseID(id)
		if !ok || p.Offset != uint64(i+1) || !strings.HasPrefix(ids[0], p.Epoch+"-") {
			t.Errorf("ID %d = %q; want offset %d of one epoch", i+1, id, i+1)
		}
	}
}

// A client that was reading from one process resumes on another, after the
// first is gone, with the events after its Last-Event-ID and then the live
// ones: no loss, no duplicate.
func TestResumeOnAnotherProcess(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil)
	b := newProc(t, srv.Addr(), "b", nil)

	sa := hubtest.Subscribe(t, a.hub, "chat", "")
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 3)
	expectEvents(t, sa, dataRange(1, 2), ids[:2])
	last := sa.LastID() // the client saw e1 and e2
	hubtest.PublishN(t, a.hub, "chat", 4, 5)
	a.close()

	sb := hubtest.Subscribe(t, b.hub, "chat", last)
	expectEvents(t, sb, dataRange(3, 5), nil)
	more := hubtest.PublishN(t, b.hub, "chat", 6, 7)
	expectEvents(t, sb, dataRange(6, 7), more)
	expectNothing(t, sb)
	if p, _ := hub.ParseID(more[1]); p.Offset != 7 {
		t.Errorf("7th event's ID = %q; want offset 7", more[1])
	}
}

// A Last-Event-ID whose successors were trimmed from the stream gets a
// resync, then the live events.
func TestTrimmedHistoryResyncs(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", &redishub.Options{MaxLen: 3})
	b := newProc(t, srv.Addr(), "b", &redishub.Options{MaxLen: 3})

	ids := hubtest.PublishN(t, a.hub, "chat", 1, 6) // the stream keeps e4..e6
	tests := []struct {
		name   string
		last   string
		resync hub.Reason
		want   []string
	}{
		{"trimmed", ids[1], hub.ReasonEvicted, nil},
		{"oldest kept", ids[2], "", dataRange(4, 6)},
		{"up to date", ids[5], "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hubtest.Subscribe(t, b.hub, "chat", tt.last)
			if tt.resync != "" {
				if got := expectResync(t, s, tt.resync); got != ids[5] {
					t.Errorf("resync last_id = %q; want the head %q", got, ids[5])
				}
			}
			expectEvents(t, s, tt.want, nil)
			expectNothing(t, s)
		})
	}
}

// FLUSHALL loses the histories: the next publish starts a new epoch, live
// subscribers get a resync before its events, and old IDs get one too.
func TestFlushAllStartsNewEpoch(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil)
	b := newProc(t, srv.Addr(), "b", nil)

	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	old := hubtest.PublishN(t, a.hub, "chat", 1, 2)
	expectEvents(t, sb, dataRange(1, 2), old)

	if err := a.client.FlushAll(hubtest.Context(t)).Err(); err != nil {
		t.Fatal(err)
	}
	ids := hubtest.PublishN(t, a.hub, "chat", 3, 4)
	oldPos, _ := hub.ParseID(old[0])
	newPos, _ := hub.ParseID(ids[0])
	if newPos.Epoch == oldPos.Epoch || newPos.Offset != 1 {
		t.Fatalf("first ID after FLUSHALL = %q; want offset 1 of a new epoch (old %q)", ids[0], old[0])
	}
	expectResync(t, sb, hub.ReasonEpoch)
	expectEvents(t, sb, dataRange(3, 4), ids)

	s := hubtest.Subscribe(t, b.hub, "chat", old[1])
	expectResync(t, s, hub.ReasonEpoch)
	expectNothing(t, s)
}

// While Redis is down or frozen, Publish and a first Subscribe fail within
// the operation timeout instead of hanging.
func TestRedisDownFailsFast(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name string
		down func(*redistest.Server)
	}{
		{"killed", (*redistest.Server).Stop},
		{"frozen", (*redistest.Server).Pause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.NewServer(t)
			a := newProc(t, srv.Addr(), "a", &redishub.Options{Timeout: timeout})
			hubtest.Publish(t, a.hub, "chat", "e1")
			tt.down(srv)
			defer srv.Resume()

			ops := []struct {
				name string
				run  func(ctx context.Context) error
			}{
				{"Publish", func(ctx context.Context) error {
					_, err := a.hub.Publish(ctx, "chat", hub.Message{Data: "e2"})
					return err
				}},
				{"Subscribe", func(ctx context.Context) error {
					s, err := a.hub.Subscribe(ctx, "other", "")
					if err == nil {
						s.Close()
					}
					return err
				}},
			}
			for _, op := range ops {
				start := time.Now()
				err := op.run(context.Background())
				// A generous bound: the point is that it ends, not how fast.
				if took := time.Since(start); !errors.Is(err, redishub.ErrUnavailable) || took > timeout+2*time.Second {
					t.Errorf("%s with Redis %s = %v after %v; want ErrUnavailable within about %v", op.name, tt.name, err, took, timeout)
				}
			}
		})
	}
}

// A Pub/Sub connection that breaks while Redis keeps its data: the events
// published meanwhile are read from the history, so the subscriber misses
// nothing and gets no resync.
func TestConnectionLossResumes(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil)
	b := newProc(t, srv.Addr(), "b", nil)
	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, sb, dataRange(1, 1), ids)

	killed, err := a.client.ClientKillByFilter(hubtest.Context(t), "TYPE", "pubsub").Result()
	if err != nil || killed != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub = %d, %v; want b's one connection killed", killed, err)
	}
	ids = hubtest.PublishN(t, a.hub, "chat", 2, 6) // likely before b has reconnected
	expectEvents(t, sb, dataRange(2, 6), ids)

	eventually(t, "b subscribes again", func() bool { return numsub(t, a.client, "streamkit:{chat}") == 1 })
	ids = hubtest.PublishN(t, a.hub, "chat", 7, 8)
	expectEvents(t, sb, dataRange(7, 8), ids)
	expectNothing(t, sb)
}

// Redis restarts empty: subscribers get a resync once the connection is
// back, and then the new epoch's events.
func TestRedisRestartResyncs(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil)
	b := newProc(t, srv.Addr(), "b", nil)
	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, sb, dataRange(1, 1), nil)

	srv.Restart()
	last := expectResync(t, sb, hub.ReasonEpoch)
	p, ok := hub.ParseID(last)
	if !ok {
		t.Fatalf("resync last_id %q is not an ID", last)
	}
	var ids []string
	eventually(t, "a publishes again", func() bool {
		id, err := a.hub.Publish(hubtest.Context(t), "chat", hub.Message{Type: "note", Data: "e2"})
		ids = []string{id}
		return err == nil
	})
	if q, _ := hub.ParseID(ids[0]); q.Epoch != p.Epoch || q.Offset != p.Offset+1 {
		t.Fatalf("first ID after the restart = %q; want the one after the resync's %q", ids[0], last)
	}
	expectEvents(t, sb, dataRange(2, 2), ids)
}

// A process holds one Pub/Sub connection, whatever the number of topics
// and subscribers, and its pool does not grow with them either.
func TestConnectionsDoNotGrow(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil)
	obs := newClient(t, srv.Addr(), "observer")

	hubtest.Subscribe(t, a.hub, "t0", "")
	one, onePubSub := clients(t, obs, "a", ""), clients(t, obs, "a", "pubsub")

	// 99 more: another 49 on t0, one on each of t1..t50.
	var subs []*hub.Subscription
	for i := range 99 {
		topic := "t0"
		if i >= 49 {
			topic = fmt.Sprintf("t%d", i-48)
		}
		subs = append(subs, hubtest.Subscribe(t, a.hub, topic, ""))
	}
	hundred, hundredPubSub := clients(t, obs, "a", ""), clients(t, obs, "a", "pubsub")
	if onePubSub != 1 || hundredPubSub != 1 || hundred != one {
		t.Errorf("connections of a process: %d (%d Pub/Sub) with 1 subscriber, %d (%d Pub/Sub) with 100 on 51 topics; want the same, with one Pub/Sub",
			one, onePubSub, hundred, hundredPubSub)
	}
	t.Logf("connections with 1 subscriber: %d (%d Pub/Sub); with 100: %d (%d Pub/Sub)", one, onePubSub, hundred, hundredPubSub)

	// And they all work.
	b := newProc(t, srv.Addr(), "b", nil)
	for i := 0; i <= 50; i++ {
		hubtest.Publish(t, b.hub, fmt.Sprintf("t%d", i), "hello")
	}
	for i, s := range subs {
		if e := hubtest.Next(t, s); e.Data != "hello" {
			t.Fatalf("subscriber %d got %+v; want hello", i+1, e)
		}
	}
}

// When a topic's last local subscriber leaves, the process unsubscribes
// its channel; a new subscriber subscribes it again.
func TestUnsubscribeWhenLastLeaves(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil)
	s1 := hubtest.Subscribe(t, a.hub, "chat", "")
	s2 := hubtest.Subscribe(t, a.hub, "chat", "")
	if n := numsub(t, a.client, "streamkit:{chat}"); n != 1 {
		t.Fatalf("subscribers of the channel with 2 local ones = %d; want 1", n)
	}
	s1.Close()
	if n := numsub(t, a.client, "streamkit:{chat}"); n != 1 {
		t.Fatalf("subscribers of the channel with 1 local one = %d; want 1", n)
	}
	s2.Close()
	eventually(t, "the channel is unsubscribed", func() bool { return numsub(t, a.client, "streamkit:{chat}") == 0 })

	s3 := hubtest.Subscribe(t, a.hub, "chat", "")
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, s3, dataRange(1, 1), ids)
}

// A message on a topic's channel that no backend published is ignored.
func TestForeignMessageIgnored(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil)
	s := hubtest.Subscribe(t, a.hub, "chat", "")
	for _, junk := range []string{"hello", "x:1:", "x!:1:0:", "abc:0:0:", "abc:1:9:short"} {
		if err := a.client.Publish(hubtest.Context(t), "streamkit:{chat}", junk).Err(); err != nil {
			t.Fatal(err)
		}
	}
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, s, dataRange(1, 1), ids)
	expectNothing(t, s)
}

// Options.TTL sets an expiry on a topic's keys at each publish.
func TestTTL(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", &redishub.Options{TTL: time.Minute, Prefix: "ttl:"})
	hubtest.PublishN(t, a.hub, "chat", 1, 1)
	for _, key := range []string{"ttl:{chat}:m", "ttl:{chat}:s"} {
		ttl, err := a.client.PTTL(hubtest.Context(t), key).Result()
		if err != nil || ttl <= 0 || ttl > time.Minute {
			t.Errorf("PTTL %s = %v, %v; want within (0, 1m]", key, ttl, err)
		}
	}
}

// Options.ApproxTrim keeps at least MaxLen events, in sequence.
func TestApproxTrim(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", &redishub.Options{MaxLen: 10, ApproxTrim: true})
	ctx := hubtest.Context(t)
	const n = 250
	for i := range n {
		if _, err := a.backend.Append(ctx, "chat", hub.Message{Data: fmt.Sprint(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := a.client.XLen(ctx, "streamkit:{chat}:s").Result()
	if err != nil || kept < 10 || kept >= n {
		t.Fatalf("XLEN = %d, %v; want at least 10, fewer than %d", kept, err, n)
	}
	batch, err := a.backend.Read(ctx, "chat", hub.Position{}, 1000)
	if err != nil || batch.Lost || len(batch.Records) != int(kept) || batch.Head.Offset != n {
		t.Fatalf("Read = %d records, lost %v, head %+v, %v; want %d records up to %d", len(batch.Records), batch.Lost, batch.Head, err, kept, n)
	}
	for i, r := range batch.Records {
		if want := uint64(n) - uint64(kept) + uint64(i) + 1; r.Pos.Offset != want || r.Data != fmt.Sprint(want) {
			t.Fatalf("record %d = %+v; want offset and data %d", i, r, want)
		}
	}
}

// Options.MaxLen < 0 keeps no history: only an up-to-date client resumes
// without a resync.
func TestNoHistory(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", &redishub.Options{MaxLen: -1})
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 2)
	if n, _ := a.client.Exists(hubtest.Context(t), "streamkit:{chat}:s").Result(); n != 0 {
		t.Errorf("the stream exists with MaxLen -1; want no stream")
	}
	s := hubtest.Subscribe(t, a.hub, "chat", ids[0])
	expectResync(t, s, hub.ReasonEvicted)
	s = hubtest.Subscribe(t, a.hub, "chat", ids[1])
	expectNothing(t, s)
}

// A Pub/Sub connection that stops answering (Redis frozen) is replaced
// after two silent ping intervals; the subscriber then goes on, missing
// nothing, since Redis kept its data.
func TestSilentConnectionReplaced(t *testing.T) {
	srv := redistest.NewServer(t)
	opts := &redishub.Options{PingInterval: 50 * time.Millisecond, Timeout: 200 * time.Millisecond}
	a := newProc(t, srv.Addr(), "a", nil)
	b := newProc(t, srv.Addr(), "b", opts)
	obs := newClient(t, srv.Addr(), "observer")
	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, sb, dataRange(1, 1), ids)
	before := pubSubIDs(t, obs, "b")

	srv.Pause()
	time.Sleep(300 * time.Millisecond) // several ping intervals
	srv.Resume()

	ids = hubtest.PublishN(t, a.hub, "chat", 2, 3)
	expectEvents(t, sb, dataRange(2, 3), ids)
	expectNothing(t, sb)
	after := pubSubIDs(t, obs, "b")
	if len(after) != 1 || slices.Equal(before, after) {
		t.Errorf("Pub/Sub connections of b: %v before the freeze, %v after; want one, replaced", before, after)
	}
}

// pubSubIDs returns the IDs of the Pub/Sub connections named name.
func pubSubIDs(t *testing.T, c *redis.Client, name string) []string {
	t.Helper()
	cmd := redis.NewStringCmd(hubtest.Context(t), "client", "list", "type", "pubsub")
	if err := c.Process(hubtest.Context(t), cmd); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, line := range strings.Split(cmd.Val(), "\n") {
		if strings.Contains(line, " name="+name+" ") {
			id, _, _ := strings.Cut(strings.TrimPrefix(line, "id="), " ")
			ids = append(ids, id)
		}
	}
	return ids
}

// A caller whose own context ends first gets its context's error, not
// ErrUnavailable: Redis is not to blame.
func TestCallerDeadline(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", nil) // 5 s per operation
	hubtest.Publish(t, a.hub, "chat", "e1")
	srv.Pause()
	defer srv.Resume()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := a.backend.Append(ctx, "chat", hub.Message{Data: "e2"})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redishub.ErrUnavailable) {
		t.Errorf("Append past the caller's deadline = %v; want context.DeadlineExceeded, not ErrUnavailable", err)
	}
}

// A publish that timed out may have been stored all the same (Redis ran it
// once resumed); its retry with the same Key gets the stored event's ID and
// stores nothing twice.
func TestRetryWithKeyAfterTimeout(t *testing.T) {
	srv := redistest.NewServer(t)
	a := newProc(t, srv.Addr(), "a", &redishub.Options{Timeout: 300 * time.Millisecond})
	hubtest.Publish(t, a.hub, "orders", "e1")
	srv.Pause()
	msg := hub.Message{Data: "e2", Key: "order-42"}
	_, err := a.hub.Publish(context.Background(), "orders", msg)
	srv.Resume()
	if !errors.Is(err, redishub.ErrUnavailable) {
		t.Fatalf("Publish to a frozen Redis = %v; want ErrUnavailable", err)
	}
	stored := func() []hub.Record {
		b, err := a.backend.Read(hubtest.Context(t), "orders", hub.Position{}, 10)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		return b.Records
	}
	// Give the resumed Redis time to run what it had received.
	deadline := time.Now().Add(3 * time.Second)
	for len(stored()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the timed-out publish was stored: %v", len(stored()) == 2)

	var id string
	for range 3 { // retries, each with the same key
		if id, err = a.hub.Publish(context.Background(), "orders", msg); err != nil {
			t.Fatalf("retry: %v", err)
		}
	}
	recs := stored()
	if len(recs) != 2 || recs[1].Data != "e2" || recs[1].Pos.String() != id {
		t.Errorf("history %+v after retries returned %s; want e1 and e2 once, e2 under that ID", recs, id)
	}
}
