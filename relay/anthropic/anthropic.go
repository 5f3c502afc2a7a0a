package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/sse"
)

// Event types of a Messages stream.
const (
	MessageStart      = "message_start"
	ContentBlockStart = "content_block_start"
	ContentBlockDelta = "content_block_delta"
	ContentBlockStop  = "content_block_stop"
	MessageDelta      = "message_delta"
	MessageStop       = "message_stop"
	Ping              = "ping"
	Error             = "error"
)

// Event is one event of a Messages stream. Type equals the SSE event name;
// which other fields are set depends on it. Raw holds the event's JSON as
// received, unknown fields included.
type Event struct {
	Type string `json:"type"`
	// Message is the message of message_start, without content yet.
	Message *Message `json:"message,omitempty"`
	// Index is the content block of content_block_start, _delta, _stop.
	Index *int `json:"index,omitempty"`
	// ContentBlock is the block content_block_start opens.
	ContentBlock *ContentBlock `json:"content_block,omitempty"`
	// Delta is a content_block_delta's addition, or a message_delta's
	// stop reason.
	Delta *Delta `json:"delta,omitempty"`
	// Usage is a message_delta's cumulative usage.
	Usage *Usage `json:"usage,omitempty"`
	// Error is an error event's error.
	Error *APIError `json:"error,omitempty"`

	Raw json.RawMessage `json:"-"`
}

// Message is a message as message_start announces it.
type Message struct {
	ID           string            `json:"id"`
	Type         string            `json:"type"` // "message"
	Role         string            `json:"role"`
	Model        string            `json:"model"`
	Content      []json.RawMessage `json:"content"`
	StopReason   *string           `json:"stop_reason"`
	StopSequence *string           `json:"stop_sequence"`
	Usage        Usage             `json:"usage"`
}

// ContentBlock is a content block as content_block_start opens it: a
// "text" block with empty Text, a "tool_use" block with ID, Name and an
// empty Input, a "thinking" block, ...
type ContentBlock struct {
	Type     string          `json:"type"`
	Text     *string         `json:"text,omitempty"`
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
	Thinking *string         `json:"thinking,omitempty"`
}

// Delta is the delta of content_block_delta ("text_delta" with Text,
// "input_json_delta" with PartialJSON, "thinking_delta" with Thinking, ...)
// or of message_delta (StopReason, StopSequence).
type Delta struct {
	Type         string  `json:"type,omitempty"`
	Text         *string `json:"text,omitempty"`
	PartialJSON  *string `json:"partial_json,omitempty"`
	Thinking     *string `json:"thinking,omitempty"`
	StopReason   *string `json:"stop_reason,omitempty"`
	StopSequence *string `json:"stop_sequence,omitempty"`
}

// Usage counts tokens.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// APIError is Anthropic's error object ("overloaded_error", ...).
type APIError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// ErrorBody is an Anthropic error response body, also the data of an
// error event: {"type":"error","error":{...}}.
type ErrorBody struct {
	Type  string   `json:"type"`
	Error APIError `json:"error"`
}

// ParseEvent decodes the data of one Messages stream event. The JSON must
// be an object with a string "type". It never panics, whatever data holds.
func ParseEvent(data string) (Event, error) {
	var e Event
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return Event{}, fmt.Errorf("anthropic: stream event: %w", err)
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("anthropic: stream event without a type")
	}
	e.Raw = json.RawMessage(data)
	return e, nil
}

// SendEvent sends e as a named event: Raw when set, else e encoded.
func SendEvent(s relay.Sender, e *Event) error {
	b := []byte(e.Raw)
	if b == nil {
		var err error
		if b, err = json.Marshal(e); err != nil {
			return fmt.Errorf("anthropic: encode event: %w", err)
		}
	}
	return s.Send(&sse.Event{Type: e.Type, Data: string(b)})
}

// SendError sends an error event, which the SDKs raise. Nothing may follow
// it.
func SendError(s relay.Sender, e APIError) error {
	b, err := json.Marshal(ErrorBody{Type: Error, Error: e})
	if err != nil {
		return fmt.Errorf("anthropic: encode error: %w", err)
	}
	return s.Send(&sse.Event{Type: Error, Data: string(b)})
}

// clientError is the error a client gets for a relay's failure: the
// upstream's own type when it gave one, else "api_error", and the message
// of relay.Describe.
func clientError(err error) APIError {
	typ, msg := relay.Describe(err)
	var ue *relay.UpstreamError
	if !errors.As(err, &ue) || ue.Type == "" {
		typ = "api_error"
	}
	return APIError{Type: typ, Message: msg}
}

// Messages returns a [relay.Translator] from a Messages stream to the same
// format: events are forwarded as received, unknown types included (the
// API may add types at any time); ping is consumed; message_stop is
// forwarded and ends the stream; an error event, an event that is not a
// typed JSON object, or a stream cut short ends it with an error event.
func Messages() relay.Translator { return messagesRelay{} }

type messagesRelay struct{}

func (messagesRelay) Event(s relay.Sender, ev *sse.RawEvent) (bool, error) {
	e, err := ParseEvent(string(ev.Data))
	if err != nil {
		return false, &relay.UpstreamError{Type: "invalid_event", Message: "the upstream sent an event that is not a typed JSON object"}
	}
	switch e.Type {
	case Ping:
		return false, nil
	case Error:
		ue := &relay.UpstreamError{Type: "api_error", Message: "the upstream failed"}
		if e.Error != nil {
			ue.Type, ue.Message = e.Error.Type, e.Error.Message
		}
		return false, ue
	}
	if err := relay.Forward(s, e.Type, ev.Data); err != nil {
		return false, err
	}
	return e.Type == MessageStop, nil
}

// End sends nothing: message_stop was forwarded.
func (messagesRelay) End(relay.Sender) error { return nil }

func (messagesRelay) Fail(s relay.Sender, err error) error { return SendError(s, clientError(err)) }

func (messagesRelay) ErrorBody(status int, err error) (string, []byte) {
	b, _ := json.Marshal(ErrorBody{Type: Error, Error: clientError(err)})
	return "application/json", append(b, '\n')
}
