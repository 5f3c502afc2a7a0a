package openai

import (
	"encoding/json"
	"fmt"

	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/sse"
)

// Event types of a Responses stream that a relay acts on. Every other type
// is forwarded as it is.
const (
	ResponseCreated    = "response.created"
	ResponseTextDelta  = "response.output_text.delta"
	ResponseCompleted  = "response.completed"
	ResponseIncomplete = "response.incomplete"
	ResponseFailed     = "response.failed"
	ResponseError      = "error"
)

// ResponseEvent is one event of a Responses stream: the fields every event
// has, those of the common events, and the event's whole JSON in Raw.
type ResponseEvent struct {
	// Type equals the SSE event name: "response.output_text.delta", ...
	Type string `json:"type"`
	// SequenceNumber orders the events of one response, from 0.
	SequenceNumber int64 `json:"sequence_number"`

	// Response is the response object of response.created,
	// response.in_progress and the terminal events.
	Response *ResponseObject `json:"response,omitempty"`
	// ItemID, OutputIndex, ContentIndex and Delta are those of the
	// output_text delta and done events.
	ItemID       string `json:"item_id,omitempty"`
	OutputIndex  *int   `json:"output_index,omitempty"`
	ContentIndex *int   `json:"content_index,omitempty"`
	Delta        string `json:"delta,omitempty"`
	// Code, Message and Param are those of an "error" event.
	Code    string  `json:"code,omitempty"`
	Message string  `json:"message,omitempty"`
	Param   *string `json:"param,omitempty"`

	// Raw is the event's JSON as received; nil for an event built to be
	// sent.
	Raw json.RawMessage `json:"-"`
}

// ResponseObject is the part of a response object a relay reads: its ID,
// status, and the error of a failed response. Raw holds all of it.
type ResponseObject struct {
	ID     string `json:"id"`
	Object string `json:"object,omitempty"`
	Status string `json:"status,omitempty"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
	Raw json.RawMessage `json:"-"`
}

// MarshalJSON writes the object as received when it was, else the fields
// above.
func (r *ResponseObject) MarshalJSON() ([]byte, error) {
	if r.Raw != nil {
		return r.Raw, nil
	}
	type plain ResponseObject
	return json.Marshal((*plain)(r))
}

// UnmarshalJSON decodes the fields above and keeps the whole object in Raw.
func (r *ResponseObject) UnmarshalJSON(b []byte) error {
	type plain ResponseObject
	if err := json.Unmarshal(b, (*plain)(r)); err != nil {
		return err
	}
	r.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// ParseResponseEvent decodes the data of one Responses stream event. The
// JSON must be an object with a string "type". It never panics, whatever
// data holds.
func ParseResponseEvent(data string) (ResponseEvent, error) {
	var e ResponseEvent
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return ResponseEvent{}, fmt.Errorf("openai: response stream event: %w", err)
	}
	if e.Type == "" {
		return ResponseEvent{}, fmt.Errorf("openai: response stream event without a type")
	}
	e.Raw = json.RawMessage(data)
	return e, nil
}

// SendResponseEvent sends e as a named event: Raw when set, else e encoded.
func SendResponseEvent(s relay.Sender, e *ResponseEvent) error {
	b := []byte(e.Raw)
	if b == nil {
		var err error
		if b, err = json.Marshal(e); err != nil {
			return fmt.Errorf("openai: encode response event: %w", err)
		}
	}
	return s.Send(&sse.Event{Type: e.Type, Data: string(b)})
}

// Responses returns a [relay.Translator] from a Responses stream to the same
// format. Events are forwarded as received, unknown types included;
// response.completed and response.incomplete are forwarded and end the
// stream; response.failed is forwarded and fails it; an "error" event, an
// event that is not a typed JSON object, or a stream cut short fails it
// with an "error" event numbered after the last one forwarded. Nothing
// follows a failure.
func Responses() relay.Translator { return &responsesRelay{next: 0} }

type responsesRelay struct {
	next   int64 // sequence number for an event of our own
	failed bool  // a terminal failure was forwarded
}

func (t *responsesRelay) Event(s relay.Sender, ev *sse.RawEvent) (bool, error) {
	e, err := ParseResponseEvent(string(ev.Data))
	if err != nil {
		return false, &relay.UpstreamError{Type: "invalid_event", Message: "the upstream sent an event that is not a typed JSON object"}
	}
	t.next = max(t.next, e.SequenceNumber+1)
	switch e.Type {
	case ResponseError:
		return false, &relay.UpstreamError{Type: e.Code, Message: e.Message}
	case ResponseFailed:
		if err := relay.Forward(s, e.Type, ev.Data); err != nil {
			return false, err
		}
		t.failed = true
		ue := &relay.UpstreamError{Type: "response_failed", Message: "the response failed"}
		if e.Response != nil && e.Response.Error != nil {
			ue.Type, ue.Message = e.Response.Error.Code, e.Response.Error.Message
		}
		return false, ue
	}
	if err := relay.Forward(s, e.Type, ev.Data); err != nil {
		return false, err
	}
	return e.Type == ResponseCompleted || e.Type == ResponseIncomplete, nil
}

// End sends nothing: the terminal event was forwarded.
func (t *responsesRelay) End(relay.Sender) error { return nil }

func (t *responsesRelay) Fail(s relay.Sender, err error) error {
	if t.failed {
		return nil
	}
	t.failed = true
	typ, msg := relay.Describe(err)
	e := ResponseEvent{Type: ResponseError, SequenceNumber: t.next, Code: typ, Message: msg}
	return SendResponseEvent(s, &e)
}

func (*responsesRelay) ErrorBody(status int, err error) (string, []byte) { return errorBody(err) }
