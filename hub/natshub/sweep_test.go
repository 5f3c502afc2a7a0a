package natshub_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

// exists tells whether the server has the stream called name.
func exists(t *testing.T, js jetstream.JetStream, name string) bool {
	t.Helper()
	_, err := js.Stream(hubtest.Context(t), name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return false
	}
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return true
}

// With DeleteIdle, the stream of a topic nobody publishes to or listens to
// is deleted; streams with listeners in this process or in another one,
// and streams the backend did not make, are kept. A client coming back
// with an ID of a deleted stream gets a resync for the new epoch.
func TestDeleteIdle(t *testing.T) {
	srv := natstest.NewServer(t)
	const idle = time.Second
	a := newProc(t, srv.URL(), "a", &natshub.Options{DeleteIdle: idle})
	b := newProc(t, srv.URL(), "b", nil)
	js, _ := jetstream.New(a.nc)
	ctx := hubtest.Context(t)

	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "streamkit_byhand", Subjects: []string{"streamkit.byhand"}}); err != nil {
		t.Fatal(err)
	}
	here := hubtest.Subscribe(t, a.hub, "here", "")
	there := hubtest.Subscribe(t, b.hub, "there", "")
	hubtest.PublishN(t, a.hub, "there", 1, 1)
	expectEvents(t, there, dataRange(1, 1), nil)
	old := hubtest.PublishN(t, a.hub, "oneoff", 1, 2)

	eventually(t, "the idle topic's stream is deleted", func() bool { return !exists(t, js, "streamkit_oneoff") })
	// The others have been idle for as long, and are kept.
	for _, name := range []string{"streamkit_byhand", "streamkit_here", "streamkit_there"} {
		if !exists(t, js, name) {
			t.Errorf("stream %s was deleted; want it kept", name)
		}
	}

	s := hubtest.Subscribe(t, a.hub, "oneoff", old[1])
	expectResync(t, s, hub.ReasonEpoch)
	ids := hubtest.PublishN(t, a.hub, "oneoff", 3, 3)
	expectEvents(t, s, dataRange(3, 3), ids)
	s.Close()

	// Once their listeners leave, the other topics' streams go too.
	here.Close()
	there.Close()
	for _, name := range []string{"streamkit_here", "streamkit_there", "streamkit_oneoff"} {
		eventually(t, name+" is deleted once it has no listener", func() bool { return !exists(t, js, name) })
	}
	if !exists(t, js, "streamkit_byhand") {
		t.Error("the stream made by hand was deleted; want it kept")
	}
}

// Without DeleteIdle nothing is deleted.
func TestDeleteIdleOff(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", &natshub.Options{History: hub.History{MaxAge: 100 * time.Millisecond}})
	js, _ := jetstream.New(a.nc)
	hubtest.PublishN(t, a.hub, "oneoff", 1, 1)
	s, err := js.Stream(hubtest.Context(t), "streamkit_oneoff")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the event ages out", func() bool {
		info, err := s.Info(hubtest.Context(t))
		return err == nil && info.State.Msgs == 0
	})
	time.Sleep(300 * time.Millisecond) // some sweeps' worth, had there been a sweeper
	if !exists(t, js, "streamkit_oneoff") {
		t.Error("stream deleted without DeleteIdle")
	}
}

// One-off topics, the use DeleteIdle is for: while two processes publish
// to and subscribe to new topics, their sweepers (every 250 ms) delete the
// topics left behind. Every call succeeds, and in the end no stream is
// left.
func TestDeleteIdleOneOffTopics(t *testing.T) {
	srv := natstest.NewServer(t)
	o := &natshub.Options{DeleteIdle: time.Second}
	a := newProc(t, srv.URL(), "a", o)
	b := newProc(t, srv.URL(), "b", o)
	js, _ := jetstream.New(a.nc)
	ctx := hubtest.Context(t)
	deadline := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	for i, p := range []*proc{a, b, a, b} {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline); n++ {
				topic := fmt.Sprintf("upload-%d-%d", i, n)
				s, err := p.hub.Subscribe(ctx, topic, "")
				if err != nil {
					t.Errorf("subscribe to %s: %v", topic, err)
					return
				}
				ids := hubtest.PublishN(t, p.hub, topic, 1, 2)
				expectEvents(t, s, dataRange(1, 2), ids)
				s.Close()
			}
		})
	}
	wg.Wait()
	eventually(t, "every one-off topic's stream is deleted", func() bool {
		n := 0
		for range js.StreamNames(ctx).Name() {
			n++
		}
		return n == 0
	})
}

// breakStream makes the stream of topic lose its files the way nats-server
// 2.9 does when a stream is created again while it deletes it, and
// reports whether it managed to.
func breakStream(t *testing.T, url, topic string) bool {
	nc1, nc2 := connect(t, url, "breaker1"), connect(t, url, "breaker2")
	js1, _ := jetstream.New(nc1)
	js2, _ := jetstream.New(nc2)
	ctx := hubtest.Context(t)
	name, subject := "streamkit_"+topic, "streamkit."+topic
	cfg := jetstream.StreamConfig{Name: name, Subjects: []string{subject}}
	for range 30 {
		if _, err := js1.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := js1.Publish(ctx, subject, []byte("old")); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); js1.DeleteStream(ctx, name) }()
		cfg.Description = "streamkit hub topic; epoch=" + hub.NewEpoch() // another stream
		for {
			_, err := js2.CreateStream(ctx, cfg)
			if err == nil || !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				break
			}
		}
		<-done
		_, err := js2.Publish(ctx, subject, []byte("probe"))
		if err != nil && strings.Contains(err.Error(), "no such file or directory") {
			return true
		}
		if err := js1.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Fatal(err)
		}
	}
	return false
}

// A stream that lost its files is replaced by the next publish, which
// succeeds.
func TestLostStoreIsReplaced(t *testing.T) {
	srv := natstest.NewServer(t)
	if !breakStream(t, srv.URL(), "broken") {
		t.Skip("this nats-server did not lose a re-created stream's files in 30 tries")
	}
	a := newProc(t, srv.URL(), "a", nil)
	ctx := hubtest.Context(t)
	pos, err := a.backend.Append(ctx, "broken", hub.Message{Data: "fine"})
	if err != nil {
		t.Fatalf("Append to a stream that lost its files: %v", err)
	}
	batch, err := a.backend.Read(ctx, "broken", hub.Position{}, 10)
	if err != nil || len(batch.Records) != 1 || batch.Records[0].Data != "fine" || batch.Records[0].Pos != pos {
		t.Fatalf("Read = %+v, %v; want the one event at %+v", batch, err, pos)
	}
	if !breakStream(t, srv.URL(), "brokenbatch") {
		t.Skip("this nats-server did not lose a re-created stream's files in 30 tries")
	}
	ps, err := a.backend.AppendBatch(ctx, "brokenbatch", []hub.Message{{Data: "1"}, {Data: "2"}})
	if err != nil || len(ps) != 2 {
		t.Fatalf("AppendBatch to a stream that lost its files = %v, %v; want two positions", ps, err)
	}
}
