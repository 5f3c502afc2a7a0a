package natshub

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamkit/streamkit/hub"
)

// What the backend writes into NATS, and reads back: stream names and
// subjects made from topic names, the event type header, the epoch kept in
// a stream's description, and the acknowledgements of publishes.

// Header names on the messages the backend publishes.
const (
	// typeHeader carries the event's type, escaped with escapeType; a
	// message without it is an event of the default type.
	typeHeader = "Streamkit-Type"
	// msgIDHeader is JetStream's de-duplication ID.
	msgIDHeader = "Nats-Msg-Id"
	// expectStreamHeader makes JetStream refuse a publish that a stream of
	// another name would store.
	expectStreamHeader = "Nats-Expected-Stream"
	// expectLastIDHeader makes JetStream refuse a publish unless the
	// stream's last message ID is the given one: it chains a batch.
	expectLastIDHeader = "Nats-Expected-Last-Msg-Id"
)

// JetStream error codes the backend tells apart.
const (
	errCodeStreamNameInUse = 10058 // stream exists with another configuration
	errCodeWrongLastMsgID  = 10070 // Nats-Expected-Last-Msg-Id did not match
	errCodeStoreCreate     = 10049 // the stream's store could not be made
	errCodeStoreFailed     = 10077 // the stream's store failed
	errCodeSubjectsOverlap = 10065 // another stream takes the subject, or is being made with it
)

// escapeTopic maps a topic name ([A-Za-z0-9._-]{1,64}) to a stream-name
// and subject token: '_' becomes "__" and '.' becomes "_-", so that the
// result has no dot and two topics never share a name.
func escapeTopic(topic string) string {
	if !strings.ContainsAny(topic, "._") {
		return topic
	}
	var sb strings.Builder
	sb.Grow(len(topic) + 8)
	for i := 0; i < len(topic); i++ {
		switch c := topic[i]; c {
		case '_':
			sb.WriteString("__")
		case '.':
			sb.WriteString("_-")
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// streamName returns the name of topic's stream.
func (c *config) streamName(topic string) string { return c.prefix + "_" + escapeTopic(topic) }

// subject returns the subject of topic's events.
func (c *config) subject(topic string) string { return c.prefix + "." + escapeTopic(topic) }

// escapeType makes an event type safe as a NATS header value, which
// readers trim of spaces and which must not hold CR or LF: every byte
// outside '!'..'~', and '%', becomes %XX.
func escapeType(t string) string {
	n := 0
	for i := 0; i < len(t); i++ {
		if !plainTypeByte(t[i]) {
			n++
		}
	}
	if n == 0 {
		return t
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(t)+2*n)
	for i := 0; i < len(t); i++ {
		c := t[i]
		if plainTypeByte(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

func plainTypeByte(c byte) bool { return c > ' ' && c <= '~' && c != '%' }

// unescapeType reverses escapeType. A value escapeType could not have made
// (a stray '%', a bad hex digit) is returned as it is: a message someone
// else published, whose type the hub checks before use.
func unescapeType(v string) string {
	i := strings.IndexByte(v, '%')
	if i < 0 {
		return v
	}
	b := make([]byte, 0, len(v))
	b = append(b, v[:i]...)
	for ; i < len(v); i++ {
		c := v[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(v) {
			return v
		}
		hi, ok1 := unhex(v[i+1])
		lo, ok2 := unhex(v[i+2])
		if !ok1 || !ok2 {
			return v
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// epochMark precedes the epoch in the description of a stream the backend
// created.
const epochMark = "epoch="

// describe returns the description of a new stream for topic with epoch.
func describe(topic, epoch string) string {
	return "streamkit hub topic " + strconv.Quote(topic) + "; " + epochMark + epoch
}

// epochOf returns the epoch of a stream: the one its description carries
// when the backend created it, else one derived from its creation time
// (a stream someone else created, with the limits they chose). Either
// changes when the stream is deleted and created again.
func epochOf(description string, created time.Time) string {
	if e, ok := parseEpoch(description); ok {
		return e
	}
	return strconv.FormatUint(uint64(created.UnixNano()), 36)
}

// parseEpoch finds the epoch in a stream's description: what follows the
// last "epoch=", if it is a valid epoch.
func parseEpoch(description string) (string, bool) {
	i := strings.LastIndex(description, epochMark)
	if i < 0 {
		return "", false
	}
	e := description[i+len(epochMark):]
	return e, hub.ValidEpoch(e)
}

// pubAck is JetStream's answer to a publish.
type pubAck struct {
	Stream    string    `json:"stream"`
	Seq       uint64    `json:"seq"`
	Duplicate bool      `json:"duplicate"`
	Error     *apiError `json:"error"`
}

type apiError struct {
	Code        int    `json:"code"`
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("nats-server: %s (code %d, error code %d)", e.Description, e.Code, e.ErrCode)
}

// errNoStream reports that no stream took a publish: nothing answered.
var errNoStream = errors.New("no stream stores the subject")

// parseAck parses JetStream's answer to a publish into stream stream. It
// returns the event's sequence number; an *apiError when JetStream refused
// it; errNoStream for a no-responders status; and another error for
// anything else.
func parseAck(stream string, status string, data []byte) (uint64, error) {
	if status == "503" {
		return 0, errNoStream
	}
	if status != "" {
		return 0, fmt.Errorf("unexpected status %q in the answer to a publish", status)
	}
	var a pubAck
	if err := json.Unmarshal(data, &a); err != nil {
		return 0, fmt.Errorf("malformed answer to a publish: %w", err)
	}
	if a.Error != nil {
		return 0, a.Error
	}
	if a.Stream != stream || a.Seq == 0 {
		return 0, fmt.Errorf("answer to a publish from stream %q at sequence %d; want stream %q", a.Stream, a.Seq, stream)
	}
	return a.Seq, nil
}

// errCode returns the JetStream error code of err, from a publish's
// answer or from the JetStream API, or 0.
func errCode(err error) int {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae.ErrCode
	}
	if ae, ok := errors.AsType[*jetstream.APIError](err); ok {
		return int(ae.ErrorCode)
	}
	return 0
}

// lostStore tells whether err, a publish's error, says that the stream
// has lost its files: nats-server 2.9 removes a deleted stream's files
// after it has freed its name, so a stream created again in between has
// none and can store nothing, ever.
func lostStore(err error) bool {
	ae, ok := errors.AsType[*apiError](err)
	return ok && ae.ErrCode == errCodeStoreFailed && strings.Contains(ae.Description, "no such file or directory")
}
