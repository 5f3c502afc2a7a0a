package natshub_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

func TestNewRejects(t *testing.T) {
	srv := natstest.NewServer(t)
	nc := connect(t, srv.URL(), "rejects")
	closed := connect(t, srv.URL(), "closed")
	closed.Close()
	tests := []struct {
		name string
		nc   *nats.Conn
		opts *natshub.Options
		want string
	}{
		{"nil connection", nil, nil, "nil or closed"},
		{"closed connection", closed, nil, "nil or closed"},
		{"dot in prefix", nc, &natshub.Options{Prefix: "app.1"}, "Prefix"},
		{"long prefix", nc, &natshub.Options{Prefix: strings.Repeat("a", 33)}, "Prefix"},
		{"unknown storage", nc, &natshub.Options{Storage: 7}, "Storage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := natshub.New(tt.nc, tt.opts)
			if err == nil {
				b.Close()
				t.Fatalf("New succeeded; want an error about %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), "natshub: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v; want a natshub error about %q", err, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	srv := natstest.NewServer(t)
	ctx := hubtest.Context(t)

	t.Run("bad URL", func(t *testing.T) {
		if b, err := natshub.Open(ctx, "http://"+srv.Addr(), nil); err == nil {
			b.Close()
			t.Fatal("Open(http://...) succeeded; want an error")
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		down := natstest.NewServer(t)
		down.Stop()
		b, err := natshub.Open(ctx, down.URL(), &natshub.Options{Timeout: 300 * time.Millisecond})
		if err == nil {
			b.Close()
			t.Fatal("Open of a stopped server succeeded; want an error")
		}
		if !errors.Is(err, natshub.ErrUnavailable) {
			t.Errorf("Open of a stopped server: %v; want ErrUnavailable", err)
		}
	})
	t.Run("credentials kept out of errors", func(t *testing.T) {
		down := natstest.NewServer(t)
		down.Stop()
		for _, url := range []string{
			"nats://app:hunter2@" + down.Addr(),
			"nats://hunter2@" + down.Addr(), // a token
			"nats://127.0.0.1:1,nats://app:hunter2@" + down.Addr(),
		} {
			b, err := natshub.Open(ctx, url, &natshub.Options{Timeout: 300 * time.Millisecond})
			if err == nil {
				b.Close()
				t.Fatalf("Open of a stopped server succeeded; want an error")
			}
			if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), down.Addr()) {
				t.Errorf("Open(%s): %v; want an error naming %s without the secret", url, err, down.Addr())
			}
		}
	})
	t.Run("ok", func(t *testing.T) {
		b, err := natshub.Open(ctx, srv.URL(), &natshub.Options{Logger: quiet})
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
		if !b.Conn().IsClosed() {
			t.Errorf("the connection Open made is still open after Close")
		}
		if _, err := b.Append(ctx, "t", hub.Message{}); !errors.Is(err, hub.ErrClosed) {
			t.Errorf("Append after Close = %v; want ErrClosed", err)
		}
	})
}

// An event published through one process reaches the subscribers of the
// others, with the ID its publisher got.
func TestTwoProcesses(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	b := newProc(t, srv.URL(), "b", nil)
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
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	b := newProc(t, srv.URL(), "b", nil)

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
	srv := natstest.NewServer(t)
	opts := &natshub.Options{History: hub.History{MaxEvents: 3}}
	a := newProc(t, srv.URL(), "a", opts)
	b := newProc(t, srv.URL(), "b", opts)

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

// The three bounds of hub.History become the stream's limits, and the
// stream applies them: an event older than MaxAge is gone, and a client
// whose Last-Event-ID preceded it gets a resync.
func TestHistoryLimits(t *testing.T) {
	srv := natstest.NewServer(t)
	opts := &natshub.Options{
		Prefix:  "limits",
		History: hub.History{MaxEvents: 50, MaxBytes: 64 << 10, MaxAge: time.Second},
	}
	a := newProc(t, srv.URL(), "a", opts)
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 2)

	js, _ := jetstream.New(a.nc)
	s, err := js.Stream(hubtest.Context(t), "limits_chat")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.MaxMsgs != 50 || cfg.MaxBytes != 64<<10 || cfg.MaxAge != time.Second || cfg.Duplicates != time.Second || len(cfg.Subjects) != 1 || cfg.Subjects[0] != "limits.chat" {
		t.Errorf("stream config: MaxMsgs %d, MaxBytes %d, MaxAge %v, Duplicates %v, Subjects %v; want 50, 65536, 1s, 1s, [limits.chat]",
			cfg.MaxMsgs, cfg.MaxBytes, cfg.MaxAge, cfg.Duplicates, cfg.Subjects)
	}

	eventually(t, "the events age out", func() bool {
		b, err := a.backend.Read(hubtest.Context(t), "chat", hub.Position{}, 10)
		if b.Lost {
			t.Fatalf("Read from the zero position reported Lost")
		}
		return err == nil && len(b.Records) == 0 && b.Head.Offset == 2
	})
	sub := hubtest.Subscribe(t, a.hub, "chat", ids[0])
	expectResync(t, sub, hub.ReasonEvicted)
	expectNothing(t, sub)
}

// MaxBytes trims the oldest events once the stream holds more bytes.
func TestMaxBytes(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", &natshub.Options{History: hub.History{MaxBytes: 4096}})
	ctx := hubtest.Context(t)
	big := strings.Repeat("x", 1000)
	for range 20 {
		if _, err := a.backend.Append(ctx, "chat", hub.Message{Data: big}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := a.backend.Read(ctx, "chat", hub.Position{}, 100)
	if err != nil || len(b.Records) == 0 || len(b.Records) > 4 || b.Head.Offset != 20 {
		t.Fatalf("Read = %d records, head %+v, %v; want 1 to 4 of the newest, head 20", len(b.Records), b.Head, err)
	}
	if r := b.Records[len(b.Records)-1]; r.Pos.Offset != 20 || r.Data != big {
		t.Errorf("newest record at %d; want 20", r.Pos.Offset)
	}
}

// A stream deleted and created again is a new epoch: live subscribers get
// a resync before its events, and old IDs get one too.
func TestStreamRecreatedStartsNewEpoch(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	b := newProc(t, srv.URL(), "b", nil)

	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	old := hubtest.PublishN(t, a.hub, "chat", 1, 2)
	expectEvents(t, sb, dataRange(1, 2), old)

	js, _ := jetstream.New(a.nc)
	if err := js.DeleteStream(hubtest.Context(t), "streamkit_chat"); err != nil {
		t.Fatal(err)
	}
	expectResync(t, sb, hub.ReasonEpoch)
	ids := hubtest.PublishN(t, a.hub, "chat", 3, 4)
	oldPos, _ := hub.ParseID(old[0])
	newPos, _ := hub.ParseID(ids[0])
	if newPos.Epoch == oldPos.Epoch {
		t.Fatalf("first ID after the stream was deleted = %q; want a new epoch (old %q)", ids[0], old[0])
	}
	expectEvents(t, sb, dataRange(3, 4), ids)

	s := hubtest.Subscribe(t, b.hub, "chat", old[1])
	expectResync(t, s, hub.ReasonEpoch)
	expectNothing(t, s)
}

// A purged stream keeps its sequence: clients behind it get a resync for
// the evicted events, and live ones go on.
func TestPurgeEvicts(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	sa := hubtest.Subscribe(t, a.hub, "chat", "")
	old := hubtest.PublishN(t, a.hub, "chat", 1, 3)
	expectEvents(t, sa, dataRange(1, 3), old)

	js, _ := jetstream.New(a.nc)
	s, err := js.Stream(hubtest.Context(t), "streamkit_chat")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(hubtest.Context(t)); err != nil {
		t.Fatal(err)
	}
	ids := hubtest.PublishN(t, a.hub, "chat", 4, 4)
	if p, _ := hub.ParseID(ids[0]); p.Offset != 4 || !strings.HasPrefix(old[0], p.Epoch+"-") {
		t.Fatalf("ID after the purge = %q; want offset 4 of the same epoch as %q", ids[0], old[0])
	}
	expectEvents(t, sa, dataRange(4, 4), ids)

	sb := hubtest.Subscribe(t, a.hub, "chat", old[0])
	expectResync(t, sb, hub.ReasonEvicted)
	expectNothing(t, sb)
	sc := hubtest.Subscribe(t, a.hub, "chat", old[2])
	expectEvents(t, sc, dataRange(4, 4), ids)
}

// While NATS is down or frozen, Publish and a first Subscribe fail within
// the operation timeout instead of hanging.
func TestServerDownFailsFast(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name string
		down func(*natstest.Server)
	}{
		{"killed", (*natstest.Server).Stop},
		{"frozen", (*natstest.Server).Pause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.NewServer(t)
			a := newProc(t, srv.URL(), "a", &natshub.Options{Timeout: timeout})
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
				{"Read", func(ctx context.Context) error {
					_, err := a.backend.Read(ctx, "chat", hub.Position{}, 10)
					return err
				}},
			}
			for _, op := range ops {
				start := time.Now()
				err := op.run(context.Background())
				// A generous bound: the point is that it ends, not how fast.
				if took := time.Since(start); !errors.Is(err, natshub.ErrUnavailable) || took > timeout+2*time.Second {
					t.Errorf("%s with NATS %s = %v after %v; want ErrUnavailable within about %v", op.name, tt.name, err, took, timeout)
				}
			}
		})
	}
}

// A caller whose own context ends first gets its context's error, not
// ErrUnavailable: NATS is not to blame.
func TestCallerDeadline(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil) // 5 s per operation
	hubtest.Publish(t, a.hub, "chat", "e1")
	srv.Pause()
	defer srv.Resume()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := a.backend.Append(ctx, "chat", hub.Message{Data: "e2"})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, natshub.ErrUnavailable) {
		t.Errorf("Append past the caller's deadline = %v; want context.DeadlineExceeded, not ErrUnavailable", err)
	}
}

// nats-server restarts with its JetStream store: subscribers of every
// process go on with no loss, no duplicate and no resync, including the
// events published while their feed was being rebuilt.
func TestRestartKeepsHistory(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	b := newProc(t, srv.URL(), "b", nil)
	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 2)
	expectEvents(t, sb, dataRange(1, 2), ids)

	srv.Restart()
	var id string
	eventually(t, "a publishes again", func() bool {
		var err error
		id, err = a.hub.Publish(hubtest.Context(t), "chat", hub.Message{Type: "note", Data: "e3"})
		if err != nil && !errors.Is(err, natshub.ErrUnavailable) {
			t.Fatalf("Publish after the restart: %v; want success or ErrUnavailable", err)
		}
		return err == nil
	})
	if p, _ := hub.ParseID(id); p.Offset != 3 || !strings.HasPrefix(ids[0], p.Epoch+"-") {
		t.Fatalf("first ID after the restart = %q; want offset 3 of the epoch of %q", id, ids[0])
	}
	more := hubtest.PublishN(t, a.hub, "chat", 4, 5)
	expectEvents(t, sb, dataRange(3, 5), append([]string{id}, more...))
	expectNothing(t, sb)
}

// nats-server restarts without its store: the streams are gone, so
// subscribers get a resync, then the new epoch's events.
func TestRestartEmptyResyncs(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	b := newProc(t, srv.URL(), "b", nil)
	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	old := hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, sb, dataRange(1, 1), old)

	srv.RestartEmpty()
	last := expectResync(t, sb, hub.ReasonEpoch)
	p, ok := hub.ParseID(last)
	if o, _ := hub.ParseID(old[0]); !ok || p.Epoch == o.Epoch {
		t.Fatalf("resync last_id %q; want an ID of a new epoch (old %q)", last, old[0])
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
	expectNothing(t, sb)
}

// A subscriber's connection drops while the server keeps running: the
// events published meanwhile come through its rebuilt feed, with no loss,
// no duplicate and no resync. A publisher whose connection is down fails
// at once.
func TestConnectionDropResumes(t *testing.T) {
	srv := natstest.NewServer(t)
	proxy := natstest.NewProxy(t, srv.Addr())
	a := newProc(t, srv.URL(), "a", nil)
	b := newProc(t, proxy.URL(), "b", nil)
	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, sb, dataRange(1, 1), ids)

	proxy.Cut()
	ids = hubtest.PublishN(t, a.hub, "chat", 2, 6) // likely before b has reconnected
	expectEvents(t, sb, dataRange(2, 6), ids)
	ids = hubtest.PublishN(t, a.hub, "chat", 7, 8)
	expectEvents(t, sb, dataRange(7, 8), ids)
	expectNothing(t, sb)

	// Cut again and publish through b at once: it fails fast, or it went
	// out before the cut was seen; either way it is stored at most once.
	proxy.Cut()
	start := time.Now()
	id, err := b.hub.Publish(context.Background(), "chat", hub.Message{Type: "note", Data: "e9"})
	if err != nil && !errors.Is(err, natshub.ErrUnavailable) || time.Since(start) > 7*time.Second {
		t.Fatalf("Publish through a dropped connection = %q, %v after %v; want an ID or ErrUnavailable", id, err, time.Since(start))
	}
	n := 8
	if err == nil {
		n = 9
		expectEvents(t, sb, dataRange(9, 9), []string{id})
	}
	ids = hubtest.PublishN(t, a.hub, "chat", n+1, n+1)
	expectEvents(t, sb, dataRange(n+1, n+1), ids)
	expectNothing(t, sb)
}

// The server freezes for longer than two heartbeats: the feed is rebuilt
// once it answers again, and the subscriber goes on, missing nothing.
func TestPausedServerResumes(t *testing.T) {
	srv := natstest.NewServer(t)
	opts := &natshub.Options{Heartbeat: 500 * time.Millisecond, Timeout: 500 * time.Millisecond}
	a := newProc(t, srv.URL(), "a", opts)
	b := newProc(t, srv.URL(), "b", opts)
	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, sb, dataRange(1, 1), ids)

	srv.Pause()
	if _, err := a.hub.Publish(context.Background(), "chat", hub.Message{Data: "lost"}); !errors.Is(err, natshub.ErrUnavailable) {
		// It may yet be stored once the server resumes: JetStream reads
		// it from the socket. That is the documented risk of a timeout.
		t.Logf("Publish to a frozen server = %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // several heartbeats
	srv.Resume()

	var got []hub.Event
	ids = hubtest.PublishN(t, a.hub, "chat", 2, 3)
	for len(got) == 0 || got[len(got)-1].Data != "e3" {
		got = append(got, hubtest.Next(t, sb))
	}
	var data []string
	for _, e := range got {
		if e.Resync != "" {
			t.Fatalf("got a resync %+v; want none", e)
		}
		data = append(data, e.Data)
	}
	// The publish to the frozen server timed out; JetStream may still
	// have stored it when it woke up, in its place.
	if w := strings.Join(dataRange(2, 3), ","); strings.Join(data, ",") != w && strings.Join(data, ",") != "lost,"+w {
		t.Fatalf("after the pause the subscriber got %v; want [e2 e3], maybe after [lost]", data)
	}
	if got[len(got)-1].ID != ids[1] {
		t.Errorf("last event's ID %q; want %q", got[len(got)-1].ID, ids[1])
	}
	expectNothing(t, sb)
}

// A process holds one connection, whatever the number of topics and
// subscribers; the hub asks for one consumer per topic.
func TestOneConnectionPerProcess(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)

	hubtest.Subscribe(t, a.hub, "t0", "")
	one := conns(srv, "a")

	// 99 more: another 49 on t0, one on each of t1..t50.
	var subs []*hub.Subscription
	for i := range 99 {
		topic := "t0"
		if i >= 49 {
			topic = fmt.Sprintf("t%d", i-48)
		}
		subs = append(subs, hubtest.Subscribe(t, a.hub, topic, ""))
	}
	hundred := conns(srv, "a")
	if one != 1 || hundred != 1 {
		t.Errorf("connections of a process: %d with 1 subscriber, %d with 100 on 51 topics; want 1 and 1", one, hundred)
	}
	t.Logf("connections with 1 subscriber: %d; with 100 on 51 topics: %d", one, hundred)

	js, _ := jetstream.New(a.nc)
	for _, topic := range []string{"t0", "t1", "t50"} {
		s, err := js.Stream(hubtest.Context(t), "streamkit_"+topic)
		if err != nil {
			t.Fatal(err)
		}
		if n := s.CachedInfo().State.Consumers; n != 1 {
			t.Errorf("consumers of %s = %d; want 1", topic, n)
		}
	}

	// And they all work.
	b := newProc(t, srv.URL(), "b", nil)
	for i := 0; i <= 50; i++ {
		hubtest.Publish(t, b.hub, fmt.Sprintf("t%d", i), "hello")
	}
	for i, s := range subs {
		if e := hubtest.Next(t, s); e.Data != "hello" {
			t.Fatalf("subscriber %d got %+v; want hello", i+1, e)
		}
	}
}

// When a topic's last local subscriber leaves, its consumer is deleted; a
// new subscriber creates another.
func TestUnsubscribeWhenLastLeaves(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	js, _ := jetstream.New(a.nc)
	consumers := func() int {
		s, err := js.Stream(hubtest.Context(t), "streamkit_chat")
		if err != nil {
			t.Fatal(err)
		}
		return s.CachedInfo().State.Consumers
	}
	s1 := hubtest.Subscribe(t, a.hub, "chat", "")
	s2 := hubtest.Subscribe(t, a.hub, "chat", "")
	if n := consumers(); n != 1 {
		t.Fatalf("consumers with 2 local subscribers = %d; want 1", n)
	}
	s1.Close()
	if n := consumers(); n != 1 {
		t.Fatalf("consumers with 1 local subscriber = %d; want 1", n)
	}
	s2.Close()
	eventually(t, "the consumer is deleted", func() bool { return consumers() == 0 })

	s3 := hubtest.Subscribe(t, a.hub, "chat", "")
	ids := hubtest.PublishN(t, a.hub, "chat", 1, 1)
	expectEvents(t, s3, dataRange(1, 1), ids)
}

// A message someone else publishes on a topic's subject is an event of
// the default type at its sequence.
func TestForeignMessage(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	s := hubtest.Subscribe(t, a.hub, "chat", "")
	if err := a.nc.Publish("streamkit.chat", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	e := hubtest.Next(t, s)
	if p, _ := hub.ParseID(e.ID); e.Type != "" || e.Data != "hello" || p.Offset != 1 {
		t.Fatalf("event = %+v; want data hello of the default type at offset 1", e)
	}
	ids := hubtest.PublishN(t, a.hub, "chat", 2, 2)
	expectEvents(t, s, dataRange(2, 2), ids)
}

// Types and data come back exactly, live and from the history, whatever
// their bytes: spaces at the ends, percent signs, non-ASCII, line breaks.
func TestExactRoundTrip(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	b := newProc(t, srv.URL(), "b", nil)
	msgs := []hub.Message{
		{Type: "", Data: ""},
		{Type: " padded ", Data: " x "},
		{Type: "100%", Data: "a\nb\r\nc"},
		{Type: "événement:ü", Data: "\x00\xff"},
		{Type: "tab\there", Data: strings.Repeat("z", 70000)},
	}
	sb := hubtest.Subscribe(t, b.hub, "chat.room_1", "")
	var ids []string
	for _, m := range msgs {
		id, err := a.hub.Publish(hubtest.Context(t), "chat.room_1", m)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for i, m := range msgs {
		if e := hubtest.Next(t, sb); e.Type != m.Type || e.Data != m.Data || e.ID != ids[i] {
			t.Errorf("live event %d = type %q, %d bytes; want type %q, %d bytes", i, e.Type, len(e.Data), m.Type, len(m.Data))
		}
	}
	batch, err := b.backend.Read(hubtest.Context(t), "chat.room_1", hub.Position{}, 10)
	if err != nil || len(batch.Records) != len(msgs) {
		t.Fatalf("Read = %d records, %v; want %d", len(batch.Records), err, len(msgs))
	}
	for i, m := range msgs {
		if r := batch.Records[i]; r.Type != m.Type || r.Data != m.Data {
			t.Errorf("record %d = type %q, %d bytes; want type %q, %d bytes", i, r.Type, len(r.Data), m.Type, len(m.Data))
		}
	}
}

// Topics that differ only where the stream names escape them stay apart.
func TestTopicNamesDoNotCollide(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	topics := []string{"a.b", "a_b", "a_-b", "a__b", "a-b", "_.", "._"}
	for i, topic := range topics {
		if _, err := a.hub.Publish(hubtest.Context(t), topic, hub.Message{Data: topic}); err != nil {
			t.Fatalf("Publish to %q: %v", topic, err)
		}
		for j := 0; j <= i; j++ {
			b, err := a.backend.Read(hubtest.Context(t), topics[j], hub.Position{}, 10)
			if err != nil || len(b.Records) != 1 || b.Records[0].Data != topics[j] {
				t.Fatalf("Read(%q) = %+v, %v; want its one event", topics[j], b.Records, err)
			}
		}
	}
}

// A publish repeated with the same Key is stored once and returns the
// first one's position.
func TestMsgIDDeduplicates(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	s := hubtest.Subscribe(t, a.hub, "chat", "")
	ctx := hubtest.Context(t)
	first, err := a.hub.Publish(ctx, "chat", hub.Message{Data: "e1", Key: "order-42"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.hub.Publish(ctx, "chat", hub.Message{Data: "e1", Key: "order-42"})
	if err != nil || again != first {
		t.Fatalf("repeated publish = %q, %v; want the first's ID %q", again, err, first)
	}
	ids := hubtest.PublishN(t, a.hub, "chat", 2, 2)
	expectEvents(t, s, dataRange(1, 2), append([]string{first}, ids...))
	expectNothing(t, s)
}
