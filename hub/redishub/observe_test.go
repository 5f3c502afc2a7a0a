package redishub_test

import (
	"sync/atomic"
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/redishub"
	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

// connObserver counts what the backend and the hub report about the
// connection.
type connObserver struct {
	lost, back, gaps atomic.Int64
}

func (o *connObserver) BackendDisconnected(error) { o.lost.Add(1) }
func (o *connObserver) BackendReconnected()       { o.back.Add(1) }

func (o *connObserver) Published(string)             {}
func (o *connObserver) Subscribed(string)            {}
func (o *connObserver) Unsubscribed(string)          {}
func (o *connObserver) Dropped(string, int64)        {}
func (o *connObserver) SlowDisconnected(string, int) {}
func (o *connObserver) Resynced(string, hub.Reason)  {}
func (o *connObserver) BackendGap(string)            { o.gaps.Add(1) }

// A lost Pub/Sub connection is reported lost, then back, and the topic that
// was live gets a gap in the hub's observer.
func TestObserverReconnect(t *testing.T) {
	srv := redistest.NewServer(t)
	obs := &connObserver{}
	client := newClient(t, srv.Addr(), "observed")
	b, err := redishub.New(client, &redishub.Options{Logger: quiet, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(&hub.Options{Backend: b, Observer: obs})
	defer b.Close()
	defer h.Close()
	pub := newProc(t, srv.Addr(), "pub", nil)

	s := hubtest.Subscribe(t, h, "chat", "")
	ids := hubtest.PublishN(t, pub.hub, "chat", 1, 1)
	expectEvents(t, s, dataRange(1, 1), ids)
	if obs.lost.Load() != 0 || obs.back.Load() != 0 {
		t.Fatalf("lost %d, back %d before any failure", obs.lost.Load(), obs.back.Load())
	}

	killed, err := pub.client.ClientKillByFilter(hubtest.Context(t), "TYPE", "pubsub").Result()
	if err != nil || killed != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub = %d, %v; want the one connection killed", killed, err)
	}
	eventually(t, "the reconnect is reported", func() bool { return obs.back.Load() == 1 })
	eventually(t, "the topic's gap is reported", func() bool { return obs.gaps.Load() == 1 })
	if obs.lost.Load() < 1 {
		t.Errorf("lost %d, want at least 1", obs.lost.Load())
	}
	ids = hubtest.PublishN(t, pub.hub, "chat", 2, 3)
	expectEvents(t, s, dataRange(2, 3), ids)
}
