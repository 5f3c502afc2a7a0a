package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

// Settings of the servers that share a Redis.
const (
	// redisHistory is their -history: short, so that a resync is cheap
	// to reach.
	redisHistory = 3
	// redisDownWithin bounds how long a request may take to fail while
	// Redis is down or hung: the servers' 5 s timeout per operation on
	// Redis, plus room for a loaded machine.
	redisDownWithin = 7 * time.Second
)

// redisPairs are the pairs of servers that share a Redis, each pair two
// different frameworks, so that the events, IDs and histories they share
// depend on nothing but the backend.
var redisPairs = [][2]string{
	{"gin", "hertz-netpoll"},
	{"nethttp", "echo"},
	{"echov5", "hertz-standard"},
}

// pair is two example servers that share a backend (Redis or NATS).
// Checks may replace a server (resume-after-kill does).
type pair struct {
	t    *testing.T // the pair's test, which owns the servers
	a, b *server
	tgA  target
}

// redisPair is a pair on one Redis.
type redisPair struct {
	pair
	rs *redistest.Server
}

// shared makes a check of any pair a check of a pair on Redis.
func shared(check func(*testing.T, *pair)) func(*testing.T, *redisPair) {
	return func(t *testing.T, p *redisPair) { check(t, &p.pair) }
}

// TestSharedRedis runs pairs of example servers with -redis on one
// redis-server each and checks that they serve the same topics: an event
// posted to one reaches the subscribers of the other, a client resumes on
// the other after its server died, lost histories give resyncs, and while
// Redis is hung or down the topic routes answer 503 in bounded time. The
// pairs run at the same time; each pair's checks run in order and stop at
// the first failure, since later ones build on the state earlier ones
// leave.
func TestSharedRedis(t *testing.T) {
	for _, names := range redisPairs {
		t.Run(names[0]+"+"+names[1], func(t *testing.T) {
			t.Parallel()
			rs := redistest.NewServer(t)
			p := &redisPair{pair: pair{t: t, tgA: onRedis(t, names[0], rs)}, rs: rs}
			p.a = startServer(t, p.tgA)
			p.b = startServer(t, onRedis(t, names[1], rs))
			for _, c := range redisChecks {
				if !t.Run(c.name, func(t *testing.T) { c.fn(t, p) }) {
					return
				}
			}
		})
	}
}

var redisChecks = []struct {
	name string
	fn   func(*testing.T, *redisPair)
}{
	{"publish-reaches-other-server", shared(checkCrossServer)},
	{"resync-past-history", shared(checkEvicted)},
	{"resync-after-flushall", checkFlushAll},
	{"resume-after-kill", shared(checkResumeAfterKill)},
	{"redis-hung", checkRedisHung},
	{"redis-down", checkRedisDown}, // stops Redis and both servers
	{"redis-unreachable-at-start", checkRedisAtStart},
}

// onRedis returns the target named name, configured to keep its topics in
// rs with a history of redisHistory events.
func onRedis(t *testing.T, name string, rs *redistest.Server) target {
	t.Helper()
	for _, tg := range targets {
		if tg.name == name {
			args := append([]string{}, tg.args...)
			tg.args = append(args, "-redis", rs.URL(), "-history", fmt.Sprint(redisHistory))
			return tg
		}
	}
	t.Fatalf("no target named %q", name)
	return target{}
}

// checkCrossServer: an event posted to either server reaches a subscriber
// of the other, live, under the ID the POST returned.
func checkCrossServer(t *testing.T, p *pair) {
	for _, dir := range []struct {
		name     string
		from, to *server
	}{
		{p.a.name + " to " + p.b.name, p.a, p.b},
		{p.b.name + " to " + p.a.name, p.b, p.a},
	} {
		topic := randomTopic(t)
		sub := dir.to.subscribe(t, topic, "")
		for i := range 2 {
			data := fmt.Sprintf("%s %d\nline two", dir.name, i)
			id := dir.from.publish(t, topic, "note", data)
			if e := sub.next(t); e.ID != id || e.Type != "note" || e.Data != data {
				t.Errorf("%s: got %+v, want id %s, event note, data %q", dir.name, e, id, data)
			}
		}
		sub.close()
	}
}

// resyncData is the data of a resync event.
type resyncData struct {
	Reason string `json:"reason"`
	LastID string `json:"last_id"`
}

// wantResync reads sub's next event, which must be a resync, and returns
// its data.
func wantResync(t *testing.T, sub *subscriber) resyncData {
	t.Helper()
	e := sub.next(t)
	var d resyncData
	if e.Type != "resync" || json.Unmarshal([]byte(e.Data), &d) != nil || d.Reason == "" {
		t.Fatalf("got %+v, want a resync event with a reason", e)
	}
	if e.ID != d.LastID {
		t.Errorf("resync id %q, want its last_id %q", e.ID, d.LastID)
	}
	return d
}

// checkEvicted: with -history 3, a client whose last event is older
// than the three kept gets a resync from the other server, then the live
// events.
func checkEvicted(t *testing.T, p *pair) {
	topic := randomTopic(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, p.a.publish(t, topic, "", fmt.Sprint(i)))
	}
	sub := p.b.subscribe(t, topic, ids[0])
	if d := wantResync(t, sub); d.Reason != "evicted" || d.LastID != ids[4] {
		t.Errorf("resync %+v, want reason evicted, last_id %s", d, ids[4])
	}
	live := p.a.publish(t, topic, "", "live")
	if e := sub.next(t); e.ID != live || e.Data != "live" {
		t.Errorf("after the resync got %+v, want the live event %s", e, live)
	}
}

// flushAll empties Redis, as a restart without persistence does.
func flushAll(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "*1\r\n$8\r\nFLUSHALL\r\n"); err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "+OK\r\n" {
		t.Fatalf("FLUSHALL answered %q, %v; want +OK", line, err)
	}
}

// epochOf returns the epoch part of an event ID.
func epochOf(id string) string { return id[:max(strings.LastIndexByte(id, '-'), 0)] }

// checkFlushAll: once Redis lost a topic, a client coming back with an ID
// from before gets a resync for the topic's new epoch, and the events
// published after carry the new epoch.
func checkFlushAll(t *testing.T, p *redisPair) {
	topic := randomTopic(t)
	old := p.a.publish(t, topic, "", "before")
	flushAll(t, p.rs.Addr())
	sub := p.b.subscribe(t, topic, old)
	d := wantResync(t, sub)
	epoch := epochOf(d.LastID)
	if d.Reason != "epoch" || epoch == "" || epoch == epochOf(old) || d.LastID != epoch+"-0" {
		t.Errorf("resync %+v after FLUSHALL, want reason epoch and last_id <new epoch>-0 (old ID %s)", d, old)
	}
	live := p.a.publish(t, topic, "", "after")
	if live != epoch+"-1" {
		t.Errorf("first event after FLUSHALL has ID %s, want %s-1", live, epoch)
	}
	if e := sub.next(t); e.ID != live || e.Data != "after" {
		t.Errorf("after the resync got %+v, want the live event %s", e, live)
	}
}

// kill ends the process at once, as a crash does.
func (s *server) kill(t *testing.T) {
	t.Helper()
	s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not exit within 5s of SIGKILL", s.name)
	}
}

// checkResumeAfterKill: a client reading a topic on A, which dies, comes
// back on B with its Last-Event-ID and gets exactly the events it missed
// (the three the history keeps), then the live ones, with neither loss
// nor duplicate. A is then started again, for the next checks.
func checkResumeAfterKill(t *testing.T, p *pair) {
	topic := randomTopic(t)
	subA := p.a.subscribe(t, topic, "")
	var ids []string
	for i := range 5 {
		ids = append(ids, p.a.publish(t, topic, "note", fmt.Sprint(i+1)))
	}
	for i := range 2 {
		if e := subA.next(t); e.ID != ids[i] {
			t.Fatalf("on %s, event %d: got %+v, want %s", p.a.name, i+1, e, ids[i])
		}
	}
	p.a.kill(t)
	subA.close()

	subB := p.b.subscribe(t, topic, ids[1])
	for i := 2; i < 5; i++ {
		if e := subB.next(t); e.ID != ids[i] || e.Type != "note" || e.Data != fmt.Sprint(i+1) {
			t.Fatalf("resumed on %s: got %+v, want event %d (%s)", p.b.name, e, i+1, ids[i])
		}
	}
	p.a = startServer(p.t, p.tgA)
	for _, s := range []*server{p.a, p.b} {
		live := s.publish(t, topic, "note", "live from "+s.name)
		if e := subB.next(t); e.ID != live || e.Data != "live from "+s.name {
			t.Errorf("after the replay got %+v, want the live event %s from %s", e, live, s.name)
		}
	}
}

// probe is a request to a server and how it went.
type probe struct {
	s            *server
	method, path string

	status int
	took   time.Duration
	err    error
}

// probeAll sends every probe at once and waits for their answers. A
// successful stream is closed at once, unread.
func probeAll(probes []*probe) {
	var wg sync.WaitGroup
	for _, pr := range probes {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*redisDownWithin)
			defer cancel()
			var body io.Reader
			if pr.method == http.MethodPost {
				body = strings.NewReader("x")
			}
			req, err := http.NewRequestWithContext(ctx, pr.method, pr.s.url+pr.path, body)
			if err != nil {
				pr.err = err
				return
			}
			start := time.Now()
			resp, err := pr.s.client.Do(req)
			pr.took = time.Since(start)
			if err != nil {
				pr.err = err
				return
			}
			pr.status = resp.StatusCode
			if resp.StatusCode != http.StatusOK {
				io.Copy(io.Discard, resp.Body)
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
}

// want503 checks that every probe was answered 503 within redisDownWithin.
func want503(t *testing.T, probes []*probe) {
	t.Helper()
	for _, pr := range probes {
		switch {
		case pr.err != nil:
			t.Errorf("%s: %s %s: %v, want 503", pr.s.name, pr.method, pr.path, pr.err)
		case pr.status != http.StatusServiceUnavailable || pr.took > redisDownWithin:
			t.Errorf("%s: %s %s = %d after %v, want 503 within %v", pr.s.name, pr.method, pr.path, pr.status, pr.took.Round(time.Millisecond), redisDownWithin)
		}
	}
}

// topicProbes are a publish and a subscription to new topics on each of
// servers.
func topicProbes(t *testing.T, servers ...*server) []*probe {
	var probes []*probe
	for _, s := range servers {
		probes = append(probes,
			&probe{s: s, method: http.MethodPost, path: "/topics/" + randomTopic(t)},
			&probe{s: s, method: http.MethodGet, path: "/sse/topics/" + randomTopic(t)})
	}
	return probes
}

// checkRedisHung: while Redis accepts connections but answers nothing,
// publishing and subscribing on either server fail with 503 within the
// servers' timeout instead of hanging; once Redis goes on, both work again.
func checkRedisHung(t *testing.T, p *redisPair) {
	probes := topicProbes(t, p.a, p.b)
	p.rs.Pause()
	probeAll(probes)
	p.rs.Resume()
	want503(t, probes)

	topic := randomTopic(t)
	sub := p.a.subscribe(t, topic, "")
	id := p.b.publish(t, topic, "", "back")
	if e := sub.next(t); e.ID != id {
		t.Errorf("after Redis went on: got %+v, want event %s", e, id)
	}
}

// checkRedisDown: once Redis is gone, publishing answers 503 at once,
// and both servers still shut down cleanly on SIGTERM.
func checkRedisDown(t *testing.T, p *redisPair) {
	p.rs.Stop()
	var probes []*probe
	for _, s := range []*server{p.a, p.b} {
		probes = append(probes, &probe{s: s, method: http.MethodPost, path: "/topics/" + randomTopic(t)})
	}
	probeAll(probes)
	want503(t, probes)

	for _, s := range []*server{p.a, p.b} {
		s.client.CloseIdleConnections()
		took, err := s.stop(t, 8*time.Second)
		if err != nil || took > 5*time.Second {
			t.Errorf("%s with Redis down: exit %v after %v of SIGTERM, want status 0 within 5s", s.name, err, took.Round(time.Millisecond))
		}
	}
}

// checkRedisAtStart: a server whose -redis does not answer exits at once
// with status 1 and a message that says so.
func checkRedisAtStart(t *testing.T, p *redisPair) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*redisDownWithin)
	defer cancel()
	args := append([]string{"-addr", "127.0.0.1:0"}, p.tgA.args...)
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, p.tgA.bin), args...).CombinedOutput()
	exit, ok := errors.AsType[*exec.ExitError](err)
	if !ok || exit.ExitCode() != 1 {
		t.Fatalf("%s with nothing at -redis %s: %v, want exit status 1\n%s", p.tgA.name, p.rs.URL(), err, out)
	}
	if !strings.Contains(string(out), "-redis") || !strings.Contains(string(out), p.rs.Addr()) || strings.Contains(string(out), "open http://") {
		t.Errorf("%s with nothing at -redis: output %q, want an error naming -redis and %s, and no listening", p.tgA.name, out, p.rs.Addr())
	}
}
