package natshub

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamkit/streamkit/hub"
)

// Defaults of [Options].
const (
	// DefaultPrefix starts every stream name and subject.
	DefaultPrefix = "streamkit"
	// DefaultTimeout bounds each operation on NATS.
	DefaultTimeout = 5 * time.Second
	// DefaultHeartbeat is how often the server signals an idle live feed;
	// two missed heartbeats and the feed is rebuilt.
	DefaultHeartbeat = 5 * time.Second
	// DefaultDuplicates is the JetStream de-duplication window of a new
	// stream: a publish repeated with the same message ID within it is
	// stored once.
	DefaultDuplicates = hub.DefaultKeyWindow
)

// maxPrefixLen bounds Options.Prefix, so that a stream name stays well
// inside what a file system accepts as a directory name.
const maxPrefixLen = 32

// Options configures a [Backend]. The zero value, and a nil *Options, mean
// the defaults: streams and subjects under "streamkit", each topic keeping
// its last 1000 events and at most 1 MiB on file storage with one replica,
// a de-duplication window of 2 minutes, 5 s per operation, a heartbeat
// every 5 s on each live feed, and slog.Default for logs.
type Options struct {
	// Prefix starts every stream name ("<Prefix>_<topic>") and subject
	// ("<Prefix>.<topic>"), so that several applications share one NATS
	// account; "" means [DefaultPrefix]. It is 1 to 32 ASCII letters,
	// digits, '-' and '_'.
	Prefix string

	// History bounds each topic's history: MaxEvents, MaxBytes and MaxAge
	// become the MaxMsgs, MaxBytes and MaxAge of the topic's stream (see
	// the package documentation for what JetStream counts as bytes). 0
	// means the hub's defaults; a negative MaxEvents keeps only the
	// newest event, the least a stream can keep; a negative MaxBytes
	// means no bound.
	//
	// They apply when this backend creates a topic's stream; a stream
	// that exists keeps its own limits, so every process sharing the
	// topics should use the same values.
	History hub.History

	// Storage is where new streams keep their events: jetstream.FileStorage
	// (the zero value) survives a restart of nats-server,
	// jetstream.MemoryStorage does not.
	Storage jetstream.StorageType

	// Replicas is the number of copies of each new stream in a JetStream
	// cluster; 0 means 1.
	Replicas int

	// Duplicates is the de-duplication window of new streams: a publish
	// with the same Nats-Msg-Id (a [hub.Message.Key]) within it is stored
	// once. 0 means [DefaultDuplicates]; it is lowered to History.MaxAge when
	// that is shorter, as JetStream requires.
	Duplicates time.Duration

	// Timeout bounds each operation on NATS: a publish, a history read,
	// the setup of a subscription; 0 means [DefaultTimeout]. A caller's
	// context may end it sooner.
	Timeout time.Duration

	// Heartbeat is how often nats-server sends a heartbeat on a live feed
	// that has no events; a feed that misses two is rebuilt, and its
	// listeners get what they missed. 0 means [DefaultHeartbeat]; it is
	// kept within 500 ms and 30 s.
	Heartbeat time.Duration

	// DeleteIdle, when positive, has the backend delete the streams of
	// idle topics, so that one-off topics (one per upload, say) do not
	// leave an empty stream each behind. A stream is deleted when the
	// backend created it (a stream made by hand is never touched), no
	// process has listeners on the topic (the stream has no consumer, and
	// this process no listener), and its last event, or its creation if
	// it has none, is DeleteIdle old. The backend looks every quarter of
	// DeleteIdle, at least every 100 ms and at most every minute. 0, the
	// default, deletes nothing.
	//
	// A client that comes back later with an ID from the deleted stream
	// gets a resync with the reason "epoch", as after any replaced
	// stream; pick DeleteIdle at least History.MaxAge, so that deletion
	// only drops streams whose events have aged out anyway.
	DeleteIdle time.Duration

	// Logger receives the feeds' losses and recoveries; nil means
	// slog.Default().
	Logger *slog.Logger
}

// config is Options with the defaults applied.
type config struct {
	prefix     string
	maxMsgs    int64
	maxBytes   int64
	maxAge     time.Duration
	storage    jetstream.StorageType
	replicas   int
	duplicates time.Duration
	timeout    time.Duration
	heartbeat  time.Duration
	deleteIdle time.Duration
	log        *slog.Logger
}

func newConfig(opts *Options) (config, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	c := config{
		prefix:     o.Prefix,
		maxMsgs:    int64(o.History.MaxEvents),
		maxBytes:   o.History.MaxBytes,
		maxAge:     max(o.History.MaxAge, 0),
		storage:    o.Storage,
		replicas:   max(o.Replicas, 1),
		duplicates: o.Duplicates,
		timeout:    o.Timeout,
		heartbeat:  o.Heartbeat,
		deleteIdle: max(o.DeleteIdle, 0),
		log:        o.Logger,
	}
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	if !validPrefix(c.prefix) {
		return config{}, fmt.Errorf("natshub: Options.Prefix %q: want 1 to %d ASCII letters, digits, '-' and '_'", c.prefix, maxPrefixLen)
	}
	switch {
	case c.maxMsgs == 0:
		c.maxMsgs = hub.DefaultMaxEvents
	case c.maxMsgs < 0:
		c.maxMsgs = 1
	}
	switch {
	case c.maxBytes == 0:
		c.maxBytes = hub.DefaultMaxBytes
	case c.maxBytes < 0:
		c.maxBytes = -1 // JetStream's "no limit"
	}
	if c.storage != jetstream.FileStorage && c.storage != jetstream.MemoryStorage {
		return config{}, fmt.Errorf("natshub: Options.Storage %v is neither file nor memory", c.storage)
	}
	if c.duplicates <= 0 {
		c.duplicates = DefaultDuplicates
	}
	if c.maxAge > 0 && c.duplicates > c.maxAge {
		c.duplicates = c.maxAge
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.heartbeat <= 0 {
		c.heartbeat = DefaultHeartbeat
	}
	// The range nats.go accepts for a pull request's heartbeat.
	c.heartbeat = min(max(c.heartbeat, 500*time.Millisecond), 30*time.Second)
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

func validPrefix(p string) bool {
	if len(p) == 0 || len(p) > maxPrefixLen {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
