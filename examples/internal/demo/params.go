package demo

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
)

// Limits of the routes' parameters and bodies.
const (
	// DefaultCount and MaxCount bound the count of /sse/ticks and
	// /ndjson/ticks.
	DefaultCount = 10
	MaxCount     = 1_000_000
	// DefaultInterval is the interval between ticks when none is given.
	DefaultInterval = time.Second
	// DefaultDownload and MaxDownload bound the size of /chunked/download.
	DefaultDownload = 1 << 20
	MaxDownload     = 10 << 30
	// MaxPublish is the largest body POST /topics/{topic} publishes; a
	// larger one gets 413.
	MaxPublish = 64 << 10
)

// ErrBadRequest is wrapped by every error of this package's parsers and
// checks: the client sent something malformed or out of range, and gets 400
// with the error's message, which is only the reason, as plain text.
var ErrBadRequest = errors.New("demo: bad request")

// badRequest is an error whose message is only the reason, so that it can be
// sent to the client as is, and that still matches ErrBadRequest.
type badRequest string

func (e badRequest) Error() string { return string(e) }
func (e badRequest) Unwrap() error { return ErrBadRequest }

func bad(format string, args ...any) error { return badRequest(fmt.Sprintf(format, args...)) }

// Query looks a query parameter up: its first value, and whether it was
// given at all (as "name=" or "name" alone too).
type Query func(name string) (value string, ok bool)

// URLQuery is the Query of net/http's parsed query string, for net/http,
// gin and echo (r.URL.Query()).
func URLQuery(v url.Values) Query {
	return func(name string) (string, bool) {
		vs, ok := v[name]
		if !ok || len(vs) == 0 {
			return "", ok
		}
		return vs[0], true
	}
}

// Ticks is what /sse/ticks and /ndjson/ticks were asked for.
type Ticks struct {
	// Count is the number of the last tick; ticks are numbered from 1.
	Count int
	// Interval is the pause between two ticks; 0 sends them as fast as
	// the client reads.
	Interval time.Duration
}

// ParseTicks reads count (0 to [MaxCount], default [DefaultCount]) and
// interval (a Go duration, not negative, default [DefaultInterval]).
func ParseTicks(q Query) (Ticks, error) {
	t := Ticks{Count: DefaultCount, Interval: DefaultInterval}
	if v, ok := q("count"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxCount {
			return t, bad("count must be an integer from 0 to %d, got %q", MaxCount, v)
		}
		t.Count = n
	}
	if v, ok := q("interval"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return t, bad("interval must be a Go duration such as 250ms or 1s, not negative, got %q", v)
		}
		t.Interval = d
	}
	return t, nil
}

// Resume returns the first tick to send to a client whose last event ID is
// lastEventID ("" for none, meaning it has seen nothing), and done true when
// it has already seen the last one: the handler then answers 204 so that an
// EventSource stops reconnecting. Tick IDs are their numbers, so any other
// ID is an error.
func (t Ticks) Resume(lastEventID string) (next int, done bool, err error) {
	last := 0
	if lastEventID != "" {
		n, perr := strconv.ParseUint(lastEventID, 10, 64)
		switch {
		case errors.Is(perr, strconv.ErrRange):
			n = MaxCount + 1 // all digits, past every tick
		case perr != nil:
			return 0, false, bad("Last-Event-ID must be the number of a tick, got %q", lastEventID)
		}
		last = int(min(n, MaxCount+1))
	}
	if last >= t.Count {
		return 0, true, nil
	}
	return last + 1, false, nil
}

// ParseEcho reads the fields of /sse/echo (data, event, id, retry in
// milliseconds, comment; each optional) and returns the event encoded for
// sse.Stream.Core().Write. A field the wire format cannot carry, such as a
// line break in id or event, or a retry that is not a number, is an error.
//
// An id given empty ("id=") is sent as an empty id field, which resets the
// client's last event ID; a retry of 0 is sent as "retry: 0"
// (sse.ReconnectNow).
func ParseEcho(q Query) ([]byte, error) {
	var e sse.Event
	e.Data, _ = q("data")
	e.Type, _ = q("event")
	e.Comment, _ = q("comment")
	if id, ok := q("id"); ok {
		e.ID = id
		e.ResetID = id == ""
	}
	if v, ok := q("retry"); ok {
		ms, err := parseDigits(v, int64(time.Duration(1<<63-1)/time.Millisecond))
		if err != nil {
			return nil, bad("retry must be a whole number of milliseconds, got %q", v)
		}
		e.Retry = time.Duration(ms) * time.Millisecond
		if ms == 0 {
			e.Retry = sse.ReconnectNow
		}
	}
	dst, err := sse.AppendEvent(nil, &e)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	return dst, nil
}

// parseDigits parses ASCII digits only (no sign, no spaces), as the SSE
// retry field is defined, up to max.
func parseDigits(s string, max int64) (int64, error) {
	if s == "" {
		return 0, ErrBadRequest
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, ErrBadRequest
		}
		if n > (max-int64(c-'0'))/10 {
			return 0, ErrBadRequest
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// ParseDownload reads size, the length of /chunked/download in bytes: 0 to
// [MaxDownload], default [DefaultDownload].
func ParseDownload(q Query) (int64, error) {
	v, ok := q("size")
	if !ok {
		return DefaultDownload, nil
	}
	n, err := parseDigits(v, MaxDownload)
	if err != nil {
		return 0, bad("size must be a whole number of bytes from 0 to %d, got %q", int64(MaxDownload), v)
	}
	return n, nil
}

// CheckTopic reports a topic name the hub does not accept, with the reason
// for the 400 answer.
func CheckTopic(name string) error {
	if !hub.ValidTopic(name) {
		return bad("topic must be 1 to 64 ASCII letters, digits, '.', '_' or '-', got %q", name)
	}
	return nil
}

// CheckEventType reports an event type that SSE cannot carry (a line break
// or NUL), with the reason for the 400 answer.
func CheckEventType(name string) error {
	if _, err := sse.AppendEvent(nil, &sse.Event{Type: name}); err != nil {
		return badRequest(err.Error())
	}
	return nil
}

// ProgressTopic reads the optional progress parameter of /upload: "" when
// absent, else a valid topic name.
func ProgressTopic(q Query) (string, error) {
	v, ok := q("progress")
	if !ok {
		return "", nil
	}
	if err := CheckTopic(v); err != nil {
		return "", bad("progress: %v", err)
	}
	return v, nil
}
