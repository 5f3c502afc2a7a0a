package demo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/redishub"
)

// TopicMaxAge is how long a topic keeps an event: the upload progress
// topics are one-off, and their state is dropped once their events age out.
// On Redis it is the keys' TTL, counted from a topic's last publish; on
// NATS the streams' MaxAge, and an idle topic's stream is deleted once its
// last event is that old (natshub.Options.DeleteIdle).
const TopicMaxAge = time.Hour

// RedisTimeout bounds connecting to Redis at start, and then each
// operation on it: while Redis is down or hung, a publish or a
// subscription fails within it (503) rather than hanging.
const RedisTimeout = 5 * time.Second

// NATSTimeout is to NATS (-nats) what [RedisTimeout] is to Redis.
const NATSTimeout = 5 * time.Second

// NewHub builds the hub every route of a server shares, counting its
// drops and slow subscribers in reg, and returns it with the function that
// releases it: the hub, and the backend when the hub does not own it. Run
// calls that after reg.Shutdown.
//
// It is the one place that chooses the backend, so that every server picks
// it up unchanged: with cfg.Redis and cfg.NATS empty, the in-memory one;
// otherwise redishub on that Redis, or natshub on that NATS, which lets
// several servers share their topics. Each keeps cfg.History events per
// topic for [TopicMaxAge] (on NATS at least one, which its live feeds
// read). NewHub fails when the backend does not answer within
// [RedisTimeout] or [NATSTimeout]; the server then exits with that error.
func NewHub(cfg *Config, reg *core.Registry) (*hub.Hub, func() error, error) {
	var b hub.Backend
	var err error
	switch {
	case cfg.Redis != "" && cfg.NATS != "":
		return nil, nil, errors.New("demo: -redis and -nats are mutually exclusive")
	case cfg.Redis != "":
		b, err = openRedis(cfg, reg)
	case cfg.NATS != "":
		b, err = openNATS(cfg)
	default:
		history := hub.History{MaxEvents: cfg.History, MaxAge: TopicMaxAge}
		if history.MaxEvents == 0 {
			history.MaxEvents = -1 // the hub reads 0 as its default
		}
		h := hub.New(&hub.Options{History: history, Registry: reg})
		return h, h.Close, nil
	}
	if err != nil {
		return nil, nil, err
	}
	h := hub.New(&hub.Options{Backend: b, Registry: reg})
	// The hub does not own a backend it was given: close both, the hub
	// first, so that its subscriptions end before the connections do.
	closeAll := func() error { return errors.Join(h.Close(), b.Close()) }
	return h, closeAll, nil
}

// openRedis opens the redishub backend of -redis.
func openRedis(cfg *Config, reg *core.Registry) (hub.Backend, error) {
	maxLen := cfg.History
	if maxLen == 0 {
		maxLen = -1 // redishub reads 0 as its default
	}
	ctx, cancel := context.WithTimeout(context.Background(), RedisTimeout)
	defer cancel()
	b, err := redishub.Open(ctx, cfg.Redis, &redishub.Options{
		MaxLen:   maxLen,
		TTL:      TopicMaxAge,
		Timeout:  RedisTimeout,
		Observer: backendObserver(reg),
	})
	if err != nil {
		return nil, fmt.Errorf("demo: cannot use Redis at %s (-redis): %w", redact(cfg.Redis, "-redis"), err)
	}
	return b, nil
}

// openNATS opens the natshub backend of -nats.
func openNATS(cfg *Config) (hub.Backend, error) {
	maxEvents := cfg.History
	if maxEvents == 0 {
		maxEvents = -1 // natshub keeps only the newest event
	}
	ctx, cancel := context.WithTimeout(context.Background(), NATSTimeout)
	defer cancel()
	b, err := natshub.Open(ctx, cfg.NATS, &natshub.Options{
		History:    hub.History{MaxEvents: maxEvents, MaxAge: TopicMaxAge},
		DeleteIdle: TopicMaxAge,
		Timeout:    NATSTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("demo: cannot use NATS at %s (-nats): %w", redact(cfg.NATS, "-nats"), err)
	}
	return b, nil
}

// redact returns the URL (or comma-separated URLs) of flag fit for a log
// line: without passwords.
func redact(raw, flag string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			return "the " + flag + " URL"
		}
		parts[i] = u.Redacted()
	}
	return strings.Join(parts, ",")
}
