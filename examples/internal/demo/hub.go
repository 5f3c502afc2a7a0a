package demo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/redishub"
)

// TopicMaxAge is how long a topic keeps an event: the upload progress
// topics are one-off, and their state is dropped once their events age out.
// On Redis it is the keys' TTL, counted from a topic's last publish.
const TopicMaxAge = time.Hour

// RedisTimeout bounds connecting to Redis at start, and then each
// operation on it: while Redis is down or hung, a publish or a
// subscription fails within it (503) rather than hanging.
const RedisTimeout = 5 * time.Second

// NewHub builds the hub every route of a server shares, counting its
// drops and slow subscribers in reg, and returns it with the function that
// releases it: the hub, and the backend when the hub does not own it. Run
// calls that after reg.Shutdown.
//
// It is the one place that chooses the backend, so that every server picks
// it up unchanged: with cfg.Redis empty, the in-memory one; otherwise
// redishub on that Redis, which lets several servers share their topics.
// Either keeps cfg.History events per topic for [TopicMaxAge]. NewHub fails
// when Redis does not answer within [RedisTimeout]; the server then exits
// with that error.
func NewHub(cfg *Config, reg *core.Registry) (*hub.Hub, func() error, error) {
	if cfg.Redis == "" {
		history := hub.History{MaxEvents: cfg.History, MaxAge: TopicMaxAge}
		if history.MaxEvents == 0 {
			history.MaxEvents = -1 // the hub reads 0 as its default
		}
		h := hub.New(&hub.Options{History: history, Registry: reg})
		return h, h.Close, nil
	}

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
		return nil, nil, fmt.Errorf("demo: cannot use Redis at %s (-redis): %w", redact(cfg.Redis), err)
	}
	h := hub.New(&hub.Options{Backend: b, Registry: reg})
	// The hub does not own a backend it was given: close both, the hub
	// first, so that its subscriptions end before the connections do.
	closeAll := func() error { return errors.Join(h.Close(), b.Close()) }
	return h, closeAll, nil
}

// redact returns a Redis URL fit for a log line: without its password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the -redis URL"
	}
	return u.Redacted()
}
