package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/natshub/natstest"
	"github.com/streamkit/streamkit/hub/redishub"
	"github.com/streamkit/streamkit/hub/redishub/redistest"
	"github.com/streamkit/streamkit/sse"
)

func TestPublishStatus(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"invalid topic", fmt.Errorf("hub: publish: %w", hub.ErrInvalidTopic), http.StatusBadRequest},
		{"invalid field", fmt.Errorf("x: %w", sse.ErrInvalidField), http.StatusBadRequest},
		{"bad request", bad("nope"), http.StatusBadRequest},
		{"hub closed", fmt.Errorf("hub: publish: %w", hub.ErrClosed), http.StatusServiceUnavailable},
		{"redis unavailable", fmt.Errorf("redishub: append to x: %w: %w", redishub.ErrUnavailable, errors.New("dial tcp: refused")), http.StatusServiceUnavailable},
		{"nats unavailable", fmt.Errorf("natshub: append to x: %w: %w", natshub.ErrUnavailable, errors.New("not connected to NATS")), http.StatusServiceUnavailable},
		{"anything else", errors.New("boom"), http.StatusInternalServerError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PublishStatus(c.err); got != c.want {
				t.Errorf("PublishStatus(%v) = %d, want %d", c.err, got, c.want)
			}
		})
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestNewHubRedisUnreachable: a server started with a -redis where nothing
// answers gets an error that names the flag and the address, without the
// URL's password, well within the timeout.
func TestNewHubRedisUnreachable(t *testing.T) {
	addr := closedAddr(t)
	cfg := &Config{History: 10, Redis: "redis://:hunter2@" + addr + "/0"}
	start := time.Now()
	h, closeHub, err := NewHub(cfg, &core.Registry{})
	if err == nil {
		closeHub()
		t.Fatalf("NewHub with nothing at %s = %v, want an error", addr, h)
	}
	msg := err.Error()
	if !strings.Contains(msg, "-redis") || !strings.Contains(msg, addr) || strings.Contains(msg, "hunter2") {
		t.Errorf("error %q, want one naming -redis and %s, without the password", msg, addr)
	}
	if took := time.Since(start); took > RedisTimeout+time.Second {
		t.Errorf("NewHub took %v to fail, want at most %v", took, RedisTimeout)
	}
	if _, _, err := NewHub(&Config{Redis: "http://" + addr}, &core.Registry{}); err == nil {
		t.Error("NewHub with an http:// URL succeeded, want an error")
	}
}

// resumeCase is a -history and, for each of the first three of four
// events, whether a client that saw it resumes without a resync.
type resumeCase struct {
	name      string
	history   int
	resumable [3]bool
}

// TestNewHubRedis checks that -history reaches redishub's MaxLen, 0
// included (no history), and that the close function releases everything.
func TestNewHubRedis(t *testing.T) {
	rs := redistest.NewServer(t)
	testNewHubShared(t, func(history int) *Config { return &Config{History: history, Redis: rs.URL()} }, []resumeCase{
		{"history 0 keeps none", 0, [3]bool{false, false, false}},
		{"history 2 keeps two", 2, [3]bool{false, true, true}},
		{"history 10 keeps all", 10, [3]bool{true, true, true}},
	})
}

// TestNewHubNATS checks the same on natshub, where a stream keeps at
// least the newest event.
func TestNewHubNATS(t *testing.T) {
	ns := natstest.NewServer(t)
	testNewHubShared(t, func(history int) *Config { return &Config{History: history, NATS: ns.URL()} }, []resumeCase{
		{"history 0 keeps one", 0, [3]bool{false, false, true}},
		{"history 2 keeps two", 2, [3]bool{false, true, true}},
		{"history 10 keeps all", 10, [3]bool{true, true, true}},
	})
}

func testNewHubShared(t *testing.T, config func(history int) *Config, cases []resumeCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h, closeHub, err := NewHub(config(c.history), &core.Registry{})
			if err != nil {
				t.Fatal(err)
			}
			closed := false
			defer func() {
				if !closed {
					closeHub()
				}
			}()
			topic := strings.ReplaceAll(c.name, " ", "-")
			var ids []string
			for i := range 4 {
				id, err := h.Publish(ctx, topic, hub.Message{Data: fmt.Sprint(i)})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			for i, want := range c.resumable {
				sub, err := h.Subscribe(ctx, topic, ids[i])
				if err != nil {
					t.Fatal(err)
				}
				e, err := sub.Next(ctx)
				sub.Close()
				if err != nil {
					t.Fatal(err)
				}
				if got := e.Resync == "" && e.ID == ids[i+1]; got != want {
					t.Errorf("after event %d the subscription starts with %+v; want resumed %v", i+1, e, want)
				}
			}
			closed = true
			if err := closeHub(); err != nil {
				t.Errorf("closing the hub: %v", err)
			}
			_, err = h.Publish(ctx, topic, hub.Message{Data: "late"})
			if got := PublishStatus(err); got != http.StatusServiceUnavailable {
				t.Errorf("Publish after close = %v (status %d), want 503", err, got)
			}
		})
	}
}

// TestNewHubNATSUnreachable: a server started with a -nats where nothing
// answers gets an error that names the flag and the address, without the
// URL's password, within the timeout.
func TestNewHubNATSUnreachable(t *testing.T) {
	addr := closedAddr(t)
	cfg := &Config{History: 10, NATS: "nats://app:hunter2@" + addr}
	start := time.Now()
	h, closeHub, err := NewHub(cfg, &core.Registry{})
	if err == nil {
		closeHub()
		t.Fatalf("NewHub with nothing at %s = %v, want an error", addr, h)
	}
	msg := err.Error()
	if !strings.Contains(msg, "-nats") || !strings.Contains(msg, addr) || strings.Contains(msg, "hunter2") {
		t.Errorf("error %q, want one naming -nats and %s, without the password", msg, addr)
	}
	if took := time.Since(start); took > NATSTimeout+time.Second {
		t.Errorf("NewHub took %v to fail, want at most %v", took, NATSTimeout)
	}
	if _, _, err := NewHub(&Config{NATS: "http://" + addr}, &core.Registry{}); err == nil {
		t.Error("NewHub with an http:// URL succeeded, want an error")
	}
}

// TestRedisAndNATS: the two backends exclude each other, on the command
// line and in NewHub.
func TestRedisAndNATS(t *testing.T) {
	_, err := Parse("test", []string{"-redis", "redis://127.0.0.1:1/0", "-nats", "nats://127.0.0.1:1"}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "-redis and -nats") {
		t.Errorf("Parse with -redis and -nats: %v, want an error naming both", err)
	}
	if _, _, err := NewHub(&Config{Redis: "redis://127.0.0.1:1/0", NATS: "nats://127.0.0.1:1"}, &core.Registry{}); err == nil || !strings.Contains(err.Error(), "-redis and -nats") {
		t.Errorf("NewHub with Redis and NATS: %v, want an error naming both", err)
	}
	cfg, err := Parse("test", []string{"-nats", "nats://127.0.0.1:4222"}, io.Discard, nil)
	if err != nil || cfg.NATS != "nats://127.0.0.1:4222" {
		t.Errorf("Parse -nats = %+v, %v; want NATS set", cfg, err)
	}
}
