package relay

import (
	"errors"
	"fmt"
	"net/http"
)

// Errors a relay reports for an upstream that failed. They are returned
// wrapped; match them with errors.Is. Each also matches [ErrUpstream].
var (
	// ErrUpstream matches every failure of the upstream: a non-2xx
	// answer, an error event, a broken connection, a stream cut short, an
	// event past the size limit, the duration limit.
	ErrUpstream = errors.New("relay: upstream failed")

	// ErrTruncated reports an upstream stream that ended without its
	// terminator ([DONE], message_stop, response.completed, ...): the
	// answer is incomplete, whatever the events so far said.
	ErrTruncated = fmt.Errorf("%w: stream ended without its terminator", ErrUpstream)

	// ErrEventTooLarge reports an upstream event or line larger than
	// [Options.MaxEventSize].
	ErrEventTooLarge = fmt.Errorf("%w: event too large", ErrUpstream)

	// ErrMaxDuration reports a relay stopped by [Options.MaxDuration].
	ErrMaxDuration = fmt.Errorf("%w: maximum duration reached", ErrUpstream)
)

// UpstreamError is an upstream failure the upstream described itself: a
// non-2xx answer (Status set), or an error event after the 200 (Status 0).
// It matches [ErrUpstream].
type UpstreamError struct {
	// Status is the HTTP status of a non-2xx answer; 0 for an error that
	// came in the stream.
	Status int
	// Type is the upstream's error type or code when it gave one
	// ("overloaded_error", "server_error", "rate_limit_exceeded"), else "".
	Type string
	// Message is the upstream's error message, trimmed to a short line;
	// for a non-2xx answer without one, the status text.
	Message string

	retryAfter string // the answer's Retry-After header
}

func (e *UpstreamError) Error() string {
	var s string
	if e.Status != 0 {
		s = fmt.Sprintf("relay: upstream answered %d", e.Status)
	} else {
		s = "relay: upstream error event"
	}
	if e.Type != "" {
		s += " (" + e.Type + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns [ErrUpstream].
func (e *UpstreamError) Unwrap() error { return ErrUpstream }

// maxMessage bounds the upstream text a relay repeats to its client.
const maxMessage = 512

// Describe returns what a client is told about err, the reason a relay
// failed: a short error type and a message that names no internal detail
// beyond what the upstream itself said. Translators use it to write their
// format's in-band error.
func Describe(err error) (typ, message string) {
	var ue *UpstreamError
	switch {
	case errors.As(err, &ue):
		typ, message = ue.Type, ue.Message
		if typ == "" {
			typ = "upstream_error"
		}
		if message == "" {
			message = "the upstream model failed"
			if ue.Status != 0 {
				message = fmt.Sprintf("the upstream model answered %d %s", ue.Status, http.StatusText(ue.Status))
			}
		}
		return typ, message
	case errors.Is(err, ErrTruncated):
		return "upstream_truncated", "the upstream stream ended before the answer was complete"
	case errors.Is(err, ErrEventTooLarge):
		return "upstream_event_too_large", "an upstream event was larger than the relay accepts"
	case errors.Is(err, ErrStopped):
		return "stopped", "the answer was stopped"
	case errors.Is(err, ErrMaxDuration):
		return "timeout", "the answer took longer than the relay allows"
	default:
		return "upstream_error", "the connection to the upstream model failed"
	}
}

// shorten trims s to a short single line for an error message.
func shorten(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' || c == '\t' {
			b[i] = ' '
		}
	}
	if len(b) > maxMessage {
		b = b[:maxMessage]
		// Do not cut a UTF-8 sequence in two.
		for len(b) > 0 && b[len(b)-1]&0xC0 == 0x80 {
			b = b[:len(b)-1]
		}
		if len(b) > 0 && b[len(b)-1] >= 0xC0 {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}
