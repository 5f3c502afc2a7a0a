package redishub_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/redishub"
)

// quiet drops the backends' logs: the failure tests lose connections on
// purpose.
var quiet = slog.New(slog.DiscardHandler)

// newClient returns a client of the Redis at addr, closed with the test.
// Its connections carry name in CLIENT LIST.
func newClient(t testing.TB, addr, name string) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		ClientName:            name,
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// proc is what one server process holds: a client, a backend and a hub.
type proc struct {
	client  *redis.Client
	backend *redishub.Backend
	hub     *hub.Hub
}

// newProc starts a "process" on the Redis at addr. Its client connections
// are named name; o may be nil.
func newProc(t testing.TB, addr, name string, o *redishub.Options) *proc {
	t.Helper()
	var opts redishub.Options
	if o != nil {
		opts = *o
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	p := &proc{client: newClient(t, addr, name)}
	b, err := redishub.New(p.client, &opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p.backend = b
	p.hub = hub.New(&hub.Options{Backend: b})
	t.Cleanup(p.close)
	return p
}

// close shuts the process down: hub, backend, client. It is idempotent.
func (p *proc) close() {
	p.hub.Close()
	p.backend.Close()
	p.client.Close()
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

// eventually retries cond every 10 ms for up to 10 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// clients counts the connections in CLIENT LIST named name, of every type
// or of the given one ("pubsub", "normal").
func clients(t testing.TB, c *redis.Client, name, typ string) int {
	t.Helper()
	var cmd *redis.StringCmd
	if typ == "" {
		cmd = c.ClientList(hubtest.Context(t))
	} else {
		cmd = redis.NewStringCmd(hubtest.Context(t), "client", "list", "type", typ)
		_ = c.Process(hubtest.Context(t), cmd)
	}
	list, err := cmd.Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	n := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") {
			n++
		}
	}
	return n
}

// numsub returns how many connections are subscribed to channel.
func numsub(t testing.TB, c *redis.Client, channel string) int64 {
	t.Helper()
	m, err := c.PubSubNumSub(hubtest.Context(t), channel).Result()
	if err != nil {
		t.Fatalf("PUBSUB NUMSUB: %v", err)
	}
	return m[channel]
}

// nothingWait is how long expectNothing waits for an event that must not
// come.
const nothingWait = 100 * time.Millisecond

func expectNothing(t testing.TB, s *hub.Subscription) {
	t.Helper()
	hubtest.ExpectNothing(t, s, nothingWait)
}
