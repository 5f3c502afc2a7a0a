package demo

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/streamkit/streamkit/hub"
)

// IdempotencyKeyHeader is the request header of POST /topics/{topic} that
// makes a publish safe to retry: its value becomes the event's
// hub.Message.Key, so a retry with the same key, within the hub's key
// window, returns the first attempt's ID instead of publishing twice (as
// after a 503 from a Redis that did store the event).
const IdempotencyKeyHeader = "Idempotency-Key"

// Publish serves POST /topics/{topic}: it checks the topic, the event type
// (the query's event), the idempotency key (the [IdempotencyKeyHeader]
// value, "" for none) and the declared length (contentLength, negative when
// unknown) before it reads anything, then reads the body, at most
// [MaxPublish] bytes, and publishes it as the event's data. It returns the
// event's ID, or the status to answer with (400, 413, 503, 500) and an
// error whose message is the reason. After a 413 the rest of the body is
// unread: a server that would otherwise read it (hertz) should close the
// connection.
func Publish(ctx context.Context, h *hub.Hub, topic string, q Query, key string, contentLength int64, body io.Reader) (id string, status int, err error) {
	if err := CheckTopic(topic); err != nil {
		return "", http.StatusBadRequest, err
	}
	event, _ := q("event")
	if err := CheckEventType(event); err != nil {
		return "", http.StatusBadRequest, err
	}
	if key != "" && !hub.ValidKey(key) {
		return "", http.StatusBadRequest, bad("%s must be 1 to 128 bytes of printable ASCII, got %q", IdempotencyKeyHeader, key)
	}
	tooLarge := bad("the event's data is limited to %d bytes", MaxPublish)
	if contentLength > MaxPublish {
		return "", http.StatusRequestEntityTooLarge, tooLarge
	}
	// One byte past the limit tells a body of exactly MaxPublish bytes from
	// a longer one.
	data, err := io.ReadAll(io.LimitReader(body, MaxPublish+1))
	if err != nil {
		return "", http.StatusBadRequest, bad("reading the body: %v", err)
	}
	if len(data) > MaxPublish {
		return "", http.StatusRequestEntityTooLarge, tooLarge
	}
	id, err = h.Publish(ctx, topic, hub.Message{Type: event, Data: string(data), Key: key})
	if err != nil {
		return "", PublishStatus(err), err
	}
	return id, http.StatusOK, nil
}

// EchoForm reads the fields of POST /sse/echo from its form body
// (application/x-www-form-urlencoded, at most [MaxEchoBody] bytes): the
// fields of GET /sse/echo's query, for an event too large for a request
// line within [MaxHeaderBytes]. A body over the limit, or one net/url
// cannot parse, is an error to answer with 400.
func EchoForm(body io.Reader) (Query, error) {
	b, err := io.ReadAll(io.LimitReader(body, MaxEchoBody+1))
	switch {
	case err != nil:
		return nil, bad("reading the body: %v", err)
	case len(b) > MaxEchoBody:
		return nil, bad("the form is limited to %d bytes", MaxEchoBody)
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, bad("malformed form body: %v", err)
	}
	return URLQuery(v), nil
}
