package core

import "time"

// DefaultWriteTimeout is the per-write deadline a [Stream] uses when
// [Options.WriteTimeout] is zero.
const DefaultWriteTimeout = 10 * time.Second

// Options configures a [Stream]. The zero value, and a nil *Options, mean
// the defaults: status 200, flush after every message, no heartbeat, a
// [DefaultWriteTimeout] per write, no maximum lifetime, no registry.
type Options struct {
	// Status is the response status; 0 means 200.
	Status int

	// ContentType is sent as the Content-Type header when not empty.
	// Encoders set it (text/event-stream, application/x-ndjson, ...).
	ContentType string

	// Flush chooses when buffered messages go to the client.
	Flush FlushPolicy

	// Heartbeat is how long the stream may stay idle before
	// HeartbeatMessage is sent; 0 or a nil HeartbeatMessage disables it.
	// A heartbeat keeps proxies from timing the stream out and makes a
	// vanished client show up as a failed write.
	Heartbeat time.Duration

	// HeartbeatMessage appends the heartbeat's bytes to dst and returns the
	// result: an SSE comment, for one. It runs with the stream's lock held
	// and must not call the stream.
	HeartbeatMessage func(dst []byte) []byte

	// WriteTimeout bounds how long one flush may take. A client that does
	// not accept the bytes in time is cut off and the write fails with
	// [ErrWriteTimeout]. 0 means [DefaultWriteTimeout]; a negative value
	// means no bound. Either way the stream replaces the server's absolute
	// WriteTimeout, so a long stream is not cut by it. The bound is renewed
	// lazily: the effective limit is between 7/8 of WriteTimeout and
	// WriteTimeout.
	WriteTimeout time.Duration

	// MaxLifetime ends the stream, with the Farewell message, once it has
	// been open this long; 0 means no limit. Clients then reconnect, which
	// spreads long-lived connections over a fleet of servers.
	MaxLifetime time.Duration

	// LifetimeJitter shortens MaxLifetime by a random amount in
	// [0, LifetimeJitter), so that streams opened together do not all end
	// together.
	LifetimeJitter time.Duration

	// Farewell appends the bytes sent when the stream is ended by
	// [Registry.Shutdown] or MaxLifetime; cause is [ErrShutdown] or
	// [ErrLifetime]. An SSE stream uses it for a reconnect hint. It runs
	// with the stream's lock held and must not call the stream.
	Farewell func(dst []byte, cause error) []byte

	// Preamble, when set, appends bytes that go out with the headers at
	// the first flush, ahead of any message, and are not counted as a
	// message: an SSE stream's initial retry hint, for one.
	Preamble func(dst []byte) []byte

	// Kind names the encoder for a registry's [Observer]: "sse",
	// "ndjson", "chunked", "relay". Encoders set it.
	Kind string

	// Registry, when set, counts the stream, may refuse it (see
	// [Registry.Limit]) and can shut it down.
	Registry *Registry
}

// FlushPolicy chooses when buffered messages are sent. Write it as a
// literal; the zero value, FlushPolicy{}, flushes every message at once:
// lowest latency, one flush per message.
//
// With MaxBytes or MaxDelay set, messages are coalesced: they are flushed
// when MaxBytes are buffered, or MaxDelay after the first unflushed message,
// whichever comes first. Under bursts this sends several messages per
// flush, which costs far fewer system calls, at the price of up to MaxDelay
// of added latency:
//
//	core.FlushPolicy{MaxBytes: 32 << 10, MaxDelay: 5 * time.Millisecond}
//
// Setting only one field coalesces too, with the default for the other.
// Negative values count as zero.
type FlushPolicy struct {
	// MaxBytes is the byte budget: the buffer is flushed as soon as it
	// holds this many bytes. 0 means 16 KiB when MaxDelay is set, and no
	// coalescing when MaxDelay is 0 too.
	MaxBytes int

	// MaxDelay is the latency budget: the buffer is flushed this long
	// after the first message that is not flushed yet was written. 0
	// means 10 ms when MaxBytes is set, and no coalescing when MaxBytes
	// is 0 too.
	MaxDelay time.Duration
}

func (p FlushPolicy) coalescing() bool { return p.MaxBytes > 0 || p.MaxDelay > 0 }

func (p FlushPolicy) normalized() FlushPolicy {
	if !p.coalescing() {
		return p
	}
	if p.MaxBytes <= 0 {
		p.MaxBytes = 16 << 10
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 10 * time.Millisecond
	}
	return p
}
