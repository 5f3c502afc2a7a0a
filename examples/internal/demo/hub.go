package demo

import (
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
)

// TopicMaxAge is how long a topic keeps an event: the upload progress
// topics are one-off, and their state is dropped once their events age out.
const TopicMaxAge = time.Hour

// NewHub builds the hub every route of a server shares, counting its
// drops and slow subscribers in reg, and returns it with the function that
// releases it: the hub, and the backend when the hub does not own it. Run
// calls that after reg.Shutdown.
//
// It is the one place that chooses the backend: the in-memory one, keeping
// cfg.History events per topic. A shared store (Redis) plugs in here,
// chosen by a flag of Config, and every server picks it up unchanged.
func NewHub(cfg *Config, reg *core.Registry) (*hub.Hub, func() error, error) {
	history := hub.History{MaxEvents: cfg.History, MaxAge: TopicMaxAge}
	if history.MaxEvents == 0 {
		history.MaxEvents = -1 // the hub reads 0 as its default
	}
	h := hub.New(&hub.Options{History: history, Registry: reg})
	return h, h.Close, nil
}
