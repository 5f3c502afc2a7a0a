package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

// natsPairs are the pairs of servers that share a NATS server, each pair
// two different frameworks, as on Redis.
var natsPairs = [][2]string{
	{"gin", "hertz-netpoll"},
	{"nethttp", "echo"},
}

// natsPair is a pair on one nats-server.
type natsPair struct {
	pair
	ns *natstest.Server
}

// onNATS returns the target named name, configured to keep its topics in
// ns with a history of redisHistory events.
func onNATS(t *testing.T, name string, ns *natstest.Server) target {
	t.Helper()
	for _, tg := range targets {
		if tg.name == name {
			args := append([]string{}, tg.args...)
			tg.args = append(args, "-nats", ns.URL(), "-history", fmt.Sprint(redisHistory))
			return tg
		}
	}
	t.Fatalf("no target named %q", name)
	return target{}
}

// TestSharedNATS runs the checks of TestSharedRedis that do not depend on
// the backend on pairs of example servers with -nats on one nats-server
// (JetStream) each, and the NATS counterparts of the others: a server
// restarted without its store gives resyncs for the new epoch, a hung or
// stopped server gives 503 in bounded time. Without nats-server the test
// is skipped, with the reason, except under CI=true, where it fails.
func TestSharedNATS(t *testing.T) {
	for _, names := range natsPairs {
		t.Run(names[0]+"+"+names[1], func(t *testing.T) {
			t.Parallel()
			ns := natstest.NewServer(t)
			p := &natsPair{pair: pair{t: t, tgA: onNATS(t, names[0], ns)}, ns: ns}
			p.a = startServer(t, p.tgA)
			p.b = startServer(t, onNATS(t, names[1], ns))
			for _, c := range natsChecks {
				if !t.Run(c.name, func(t *testing.T) { c.fn(t, p) }) {
					return
				}
			}
		})
	}
}

// natsShared makes a check of any pair a check of a pair on NATS.
func natsShared(check func(*testing.T, *pair)) func(*testing.T, *natsPair) {
	return func(t *testing.T, p *natsPair) { check(t, &p.pair) }
}

var natsChecks = []struct {
	name string
	fn   func(*testing.T, *natsPair)
}{
	{"publish-reaches-other-server", natsShared(checkCrossServer)},
	{"resync-past-history", natsShared(checkEvicted)},
	{"resume-after-kill", natsShared(checkResumeAfterKill)},
	{"resync-after-restart-without-store", checkRestartEmpty},
	{"nats-hung", checkNATSHung},
	{"nats-down", checkNATSDown}, // stops NATS and both servers
	{"nats-unreachable-at-start", checkNATSAtStart},
	{"redis-and-nats", checkBothBackends},
}

// waitServing waits until s publishes again (after NATS came back): each
// try is a publish to a topic of its own.
func waitServing(t *testing.T, s *server) {
	t.Helper()
	deadline := time.Now().Add(3 * redisDownWithin)
	for {
		pr := &probe{s: s, method: http.MethodPost, path: "/topics/" + randomTopic(t)}
		probeAll([]*probe{pr})
		if pr.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not publish again: last answer %d, %v", s.name, pr.status, pr.err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkRestartEmpty: once nats-server lost its store (restarted without
// it), a client coming back with an ID from before gets a resync for the
// topic's new epoch, on the other server, and the events published after
// carry the new epoch.
func checkRestartEmpty(t *testing.T, p *natsPair) {
	topic := randomTopic(t)
	old := p.a.publish(t, topic, "", "before")
	p.ns.RestartEmpty()
	waitServing(t, p.a)
	waitServing(t, p.b)
	sub := p.b.subscribe(t, topic, old)
	d := wantResync(t, sub)
	epoch := epochOf(d.LastID)
	if d.Reason != "epoch" || epoch == "" || epoch == epochOf(old) || d.LastID != epoch+"-0" {
		t.Errorf("resync %+v after the restart, want reason epoch and last_id <new epoch>-0 (old ID %s)", d, old)
	}
	live := p.a.publish(t, topic, "", "after")
	if live != epoch+"-1" {
		t.Errorf("first event after the restart has ID %s, want %s-1", live, epoch)
	}
	if e := sub.next(t); e.ID != live || e.Data != "after" {
		t.Errorf("after the resync got %+v, want the live event %s", e, live)
	}
}

// checkNATSHung: while nats-server is stopped (SIGSTOP), publishing and
// subscribing on either server fail with 503 within the servers' timeout
// instead of hanging; once it goes on, both work again.
func checkNATSHung(t *testing.T, p *natsPair) {
	probes := topicProbes(t, p.a, p.b)
	p.ns.Pause()
	probeAll(probes)
	p.ns.Resume()
	want503(t, probes)

	waitServing(t, p.a)
	waitServing(t, p.b)
	topic := randomTopic(t)
	sub := p.a.subscribe(t, topic, "")
	id := p.b.publish(t, topic, "", "back")
	if e := sub.next(t); e.ID != id {
		t.Errorf("after NATS went on: got %+v, want event %s", e, id)
	}
}

// checkNATSDown: once nats-server is gone, publishing answers 503 at
// once, and both servers still shut down cleanly on SIGTERM.
func checkNATSDown(t *testing.T, p *natsPair) {
	p.ns.Stop()
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
			t.Errorf("%s with NATS down: exit %v after %v of SIGTERM, want status 0 within 5s", s.name, err, took.Round(time.Millisecond))
		}
	}
}

// runServer runs the binary of tg with args until it exits, and returns
// its output and exit status (-1 if it could not run).
func runServer(t *testing.T, tg target, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*redisDownWithin)
	defer cancel()
	args = append(append([]string{"-addr", "127.0.0.1:0"}, tg.args...), args...)
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, tg.bin), args...).CombinedOutput()
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", tg.name, err, out)
	}
	return string(out), 0
}

// checkNATSAtStart: a server whose -nats does not answer exits at once
// with status 1 and a message that says so.
func checkNATSAtStart(t *testing.T, p *natsPair) {
	out, code := runServer(t, p.tgA)
	if code != 1 {
		t.Fatalf("%s with nothing at -nats %s: exit status %d, want 1\n%s", p.tgA.name, p.ns.URL(), code, out)
	}
	if !strings.Contains(out, "-nats") || !strings.Contains(out, p.ns.Addr()) || strings.Contains(out, "open http://") {
		t.Errorf("%s with nothing at -nats: output %q, want an error naming -nats and %s, and no listening", p.tgA.name, out, p.ns.Addr())
	}
}

// checkBothBackends: -redis with -nats is a bad command line: exit status
// 2 and a message naming both flags, before anything is opened.
func checkBothBackends(t *testing.T, p *natsPair) {
	out, code := runServer(t, p.tgA, "-redis", "redis://127.0.0.1:1/0")
	if code != 2 || !strings.Contains(out, "-redis and -nats") {
		t.Errorf("%s with -redis and -nats: exit status %d, output %q; want 2 and an error naming both", p.tgA.name, code, out)
	}
}
