package demo

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// Defaults of the flags every example server takes.
const (
	DefaultAddr      = "127.0.0.1:8080"
	DefaultHeartbeat = 15 * time.Second
	DefaultMaxUpload = 1 << 30
	DefaultHistory   = 1000
)

// Config is what the command line of an example server sets. Servers parse
// it once in main, before serving, and only read it afterwards.
type Config struct {
	// Addr is the listen address (-addr).
	Addr string
	// Heartbeat is the idle time after which event streams send a comment
	// (-heartbeat).
	Heartbeat time.Duration
	// MaxUpload is the largest upload accepted, in bytes (-max-upload).
	MaxUpload int64
	// History is how many events each topic keeps for clients that resume
	// (-history); 0 keeps none.
	History int
	// MaxStreams is the most streams open at once (-max-streams, see
	// [DefaultMaxStreams]); 0 means no limit.
	MaxStreams int
	// UploadIdle and UploadMinRate bound slow uploads (-upload-idle,
	// -upload-min-rate; see [DefaultUploadIdle], [DefaultUploadMinRate]);
	// 0 turns the bound off.
	UploadIdle    time.Duration
	UploadMinRate int64
	// Redis is the URL of a Redis server (-redis), "redis://host:port/db",
	// that several servers share: their topics, histories and event IDs
	// are then common, so a client may resume on any of them. "" keeps
	// the topics in this process's memory.
	Redis string
	// AI holds the AI routes' flags (-upstream, -sim-delay).
	AI *AIFlags
	// OTelStdout prints OpenTelemetry spans and metrics to stdout
	// (-otel-stdout); see [NewTelemetry].
	OTelStdout bool
	// NATS is the URL of a NATS server with JetStream (-nats),
	// "nats://host:port", that several servers share, as with Redis. At
	// most one of Redis and NATS is set.
	NATS string
}

// Flags registers the shared flags on fs and returns the Config they fill
// once fs is parsed. A server adds its own flags (hertz: -transport) to the
// same set. Validate the result with [Config.Check].
func Flags(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "listen address; port 0 picks a free port")
	fs.DurationVar(&c.Heartbeat, "heartbeat", DefaultHeartbeat, "idle time before an event stream sends a heartbeat comment")
	fs.Int64Var(&c.MaxUpload, "max-upload", DefaultMaxUpload, "largest upload accepted, in bytes")
	fs.IntVar(&c.History, "history", DefaultHistory, "events kept per topic for clients that resume")
	fs.BoolVar(&c.OTelStdout, "otel-stdout", false, "print OpenTelemetry spans (one per stream) and metrics to stdout")
	fs.IntVar(&c.MaxStreams, "max-streams", DefaultMaxStreams, "most streams open at once, beyond which a stream gets 503; 0 for no limit")
	fs.DurationVar(&c.UploadIdle, "upload-idle", DefaultUploadIdle, "an upload sending nothing for this long gets 408; also the grace before -upload-min-rate; 0 for no bound")
	fs.Int64Var(&c.UploadMinRate, "upload-min-rate", DefaultUploadMinRate, "least average rate of an upload in bytes/s after the -upload-idle grace, else 408; 0 for no bound")
	fs.StringVar(&c.Redis, "redis", "", "Redis URL (redis://host:port/db) shared by several servers; empty keeps topics in memory")
	c.AI = RegisterAIFlags(fs)
	fs.StringVar(&c.NATS, "nats", "", "NATS URL (nats://host:port, JetStream enabled) shared by several servers; empty keeps topics in memory")
	return c
}

// Check reports a flag value the server cannot run with.
func (c *Config) Check() error {
	switch {
	case c.Heartbeat <= 0:
		return fmt.Errorf("demo: -heartbeat must be positive, got %v", c.Heartbeat)
	case c.MaxUpload <= 0:
		return fmt.Errorf("demo: -max-upload must be positive, got %d", c.MaxUpload)
	case c.History < 0:
		return fmt.Errorf("demo: -history must not be negative, got %d", c.History)
	case c.Redis != "" && c.NATS != "":
		return errors.New("demo: -redis and -nats are mutually exclusive: the topics live in one backend")
	case c.MaxStreams < 0:
		return fmt.Errorf("demo: -max-streams must not be negative, got %d", c.MaxStreams)
	case c.UploadIdle < 0:
		return fmt.Errorf("demo: -upload-idle must not be negative, got %v", c.UploadIdle)
	case c.UploadMinRate < 0:
		return fmt.Errorf("demo: -upload-min-rate must not be negative, got %d", c.UploadMinRate)
	case c.UploadMinRate > 0 && c.UploadIdle == 0:
		return fmt.Errorf("demo: -upload-min-rate needs -upload-idle, its grace period")
	}
	return nil
}

// Parse parses args (os.Args[1:]) into a new flag set named name with the
// shared flags plus whatever extra registers, and checks the result. On a
// bad command line it returns an error after printing the usage to out.
func Parse(name string, args []string, out io.Writer, extra func(*flag.FlagSet)) (*Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	c := Flags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("demo: unexpected arguments %q", fs.Args())
	}
	return c, c.Check()
}

// Announce prints the line that tells where the server listens. The
// end-to-end suite reads the URL from it, so a server started with port 0
// prints the port it got.
func Announce(out io.Writer, name string, addr net.Addr) {
	fmt.Fprintf(out, "streamkit %s example: open http://%s/\n", name, addr)
}

// Main is the whole main function of the example server called name: it
// parses the command line (the shared flags plus what extra registers),
// calls check, when set, for the extra flags, and runs the server. A bad
// command line exits with status 2 after the usage, -h with 0, and a run
// that fails with 1, its error printed to stderr.
func Main(name string, extra func(*flag.FlagSet), check func() error, run func(*Config) error) {
	cfg, err := Parse(name, os.Args[1:], os.Stderr, extra)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil && check != nil {
		err = check()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
