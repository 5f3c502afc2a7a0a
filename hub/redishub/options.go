package redishub

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/streamkit/streamkit/hub"
)

// Defaults of [Options].
const (
	// DefaultPrefix starts every key and channel name.
	DefaultPrefix = "streamkit:"
	// DefaultTimeout bounds each operation on Redis.
	DefaultTimeout = 5 * time.Second
	// DefaultPingInterval is how long the Pub/Sub connection may stay
	// silent before it is pinged; one more interval without an answer and
	// it is replaced.
	DefaultPingInterval = 5 * time.Second
)

// Options configures a [Backend]. The zero value, and a nil *Options, mean
// the defaults: keys under "streamkit:", the last 1000 events of each
// topic kept with exact trimming, no expiry, 5 s per operation, a ping
// every 5 s on a silent Pub/Sub connection, and slog.Default for logs.
type Options struct {
	// Prefix starts every key and Pub/Sub channel the backend uses, so
	// that several applications share one Redis; "" means
	// [DefaultPrefix]. It must not contain '{' or '}': each topic's keys
	// carry the topic name as a Redis Cluster hash tag.
	Prefix string

	// MaxLen is the most events each topic's history keeps, the MAXLEN of
	// its stream; 0 means hub.DefaultMaxEvents, and a negative value keeps
	// none, so that only subscribers that are up to date resume without a
	// resync. Every process that shares the topics should use the same
	// value: each trims on its own publishes.
	MaxLen int

	// ApproxTrim trims with "XADD MAXLEN ~", which Redis carries out a
	// whole stream node at a time (stream-node-max-entries, 100 by
	// default): cheaper under heavy publishing, at the cost of keeping up
	// to a node's worth of events more than MaxLen. Resumes are then
	// served from a history somewhat longer than MaxLen, never shorter.
	ApproxTrim bool

	// TTL, when positive, makes a topic's keys expire after it has had no
	// publish for that long (PEXPIRE on every publish). The next publish
	// starts a new epoch, so that subscribers still holding IDs of the
	// old one get a resync. 0 means the keys never expire.
	TTL time.Duration

	// KeyWindow is how long the event published under a
	// [hub.Message.Key] is remembered, so that a retry with the same Key
	// is not stored again; 0 means [hub.DefaultKeyWindow]. Each key is one
	// small Redis string that expires after this long.
	KeyWindow time.Duration

	// Timeout bounds each operation on Redis: a publish, a history read,
	// the setup of a subscription; 0 means [DefaultTimeout]. A caller's
	// context may end it sooner. For the bound to reach the socket, the
	// go-redis client needs ContextTimeoutEnabled (see [Open]); without
	// it, go-redis's own ReadTimeout, WriteTimeout and retries bound the
	// wait instead.
	Timeout time.Duration

	// PingInterval is how long the Pub/Sub connection may stay silent
	// before the backend pings it; a connection that does not answer
	// within one more interval is replaced, and the topics' listeners get
	// a gap. 0 means [DefaultPingInterval].
	PingInterval time.Duration

	// Observer, when set, is told each time the Pub/Sub connection is
	// lost and when it is back (see [hub.BackendObserver]); a metrics
	// exporter counts reconnects there. The topics' gaps that follow a
	// reconnect reach the hub's own [hub.Observer].
	Observer hub.BackendObserver

	// Logger receives the connection's losses and recoveries and any
	// malformed notification; nil means slog.Default().
	Logger *slog.Logger
}

// config is Options with the defaults applied.
type config struct {
	prefix  string
	maxLen  int
	approx  bool
	ttl     time.Duration
	keyWin  time.Duration
	timeout time.Duration
	ping    time.Duration
	log     *slog.Logger
	obs     hub.BackendObserver
}

func newConfig(opts *Options) (config, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	c := config{
		prefix:  o.Prefix,
		maxLen:  o.MaxLen,
		approx:  o.ApproxTrim,
		ttl:     o.TTL,
		keyWin:  o.KeyWindow,
		timeout: o.Timeout,
		ping:    o.PingInterval,
		log:     o.Logger,
		obs:     o.Observer,
	}
	if c.keyWin <= 0 {
		c.keyWin = hub.DefaultKeyWindow
	}
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	if strings.ContainsAny(c.prefix, "{}") {
		return config{}, fmt.Errorf("redishub: Options.Prefix %q contains a brace, which would change the keys' hash slot", c.prefix)
	}
	switch {
	case c.maxLen == 0:
		c.maxLen = hub.DefaultMaxEvents
	case c.maxLen < 0:
		c.maxLen = 0
	}
	if c.ttl < 0 {
		c.ttl = 0
	}
	if c.ttl > 0 && c.ttl < time.Millisecond {
		c.ttl = time.Millisecond
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.ping <= 0 {
		c.ping = DefaultPingInterval
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}
