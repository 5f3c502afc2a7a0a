package natshub_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

// quiet drops the backends' logs: the failure tests lose connections on
// purpose. NATSHUB_LOG=1 shows them.
var quiet = func() *slog.Logger {
	if os.Getenv("NATSHUB_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}()

// connect opens a connection to url named name, as Open would, closed
// with the test.
func connect(t testing.TB, url, name string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond),
		nats.ReconnectBufSize(-1),
	)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// proc is what one server process holds: a connection, a backend and a
// hub.
type proc struct {
	nc      *nats.Conn
	backend *natshub.Backend
	hub     *hub.Hub
}

// newProc starts a "process" on the NATS server at url. Its connection is
// named name; o may be nil.
func newProc(t testing.TB, url, name string, o *natshub.Options) *proc {
	t.Helper()
	var opts natshub.Options
	if o != nil {
		opts = *o
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	p := &proc{nc: connect(t, url, name)}
	b, err := natshub.New(p.nc, &opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p.backend = b
	p.hub = hub.New(&hub.Options{Backend: b})
	t.Cleanup(p.close)
	return p
}

// close shuts the process down: hub, backend, connection. It is
// idempotent.
func (p *proc) close() {
	p.hub.Close()
	p.backend.Close()
	p.nc.Close()
}

// expectEvents reads events and checks their data and IDs, in order, and
// that none is a resync. ids may be nil.
func expectEvents(t testing.TB, s *hub.Subscription, data []string, ids []string) {
	t.Helper()
	for i, w := range data {
		e := hubtest.Next(t, s)
		if e.Resync != "" || e.Data != w || (ids != nil && e.ID != ids[i]) {
			want := ""
			if ids != nil {
				want = " and ID " + ids[i]
			}
			t.Fatalf("event %d = %+v; want data %q%s", i, e, w, want)
		}
	}
}

// dataRange returns "e<from>" to "e<to>".
func dataRange(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("e%d", i))
	}
	return out
}

type resyncData struct {
	Reason string `json:"reason"`
	LastID string `json:"last_id"`
}

// expectResync reads a resync signal with the given reason and returns its
// last ID.
func expectResync(t testing.TB, s *hub.Subscription, reason hub.Reason) string {
	t.Helper()
	e := hubtest.Next(t, s)
	if e.Resync != reason {
		t.Fatalf("event = %+v; want a resync signal with reason %q", e, reason)
	}
	var d resyncData
	if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
		t.Fatalf("resync data %q: %v", e.Data, err)
	}
	if d.Reason != string(reason) || d.LastID != e.ID {
		t.Fatalf("resync = id %q, data %+v; want reason %q and last_id = id", e.ID, d, reason)
	}
	return e.ID
}

// eventually retries cond every 10 ms for up to 20 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// conns counts the server's client connections named name.
func conns(srv *natstest.Server, name string) int {
	n := 0
	for _, c := range srv.Conns() {
		if c.Name == name {
			n++
		}
	}
	return n
}

// nothingWait is how long expectNothing waits for an event that must not
// come.
const nothingWait = 100 * time.Millisecond

func expectNothing(t testing.TB, s *hub.Subscription) {
	t.Helper()
	hubtest.ExpectNothing(t, s, nothingWait)
}
