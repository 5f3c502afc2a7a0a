package uistream

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/sse"
)

// The response header that marks a UI message stream, and its value for
// protocol v1. [Writer.SetHeaders] sets it.
const (
	Header  = "X-Vercel-Ai-Ui-Message-Stream"
	Version = "v1"
)

// Done is the data of the event that ends a UI message stream.
const Done = "[DONE]"

// Part types of protocol v1 that this package writes. A reader accepts
// more (tool, source, file and data parts): [ParsePart] decodes any.
const (
	TypeStart          = "start"
	TypeStartStep      = "start-step"
	TypeTextStart      = "text-start"
	TypeTextDelta      = "text-delta"
	TypeTextEnd        = "text-end"
	TypeReasoningStart = "reasoning-start"
	TypeReasoningDelta = "reasoning-delta"
	TypeReasoningEnd   = "reasoning-end"
	TypeFinishStep     = "finish-step"
	TypeFinish         = "finish"
	TypeError          = "error"
	TypeAbort          = "abort"
)

// Finish reasons of a finish part.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishContentFilter = "content-filter"
	FinishToolCalls     = "tool-calls"
	FinishError         = "error"
	FinishOther         = "other"
)

// Part is one chunk of a UI message stream: the data of one event, a JSON
// object whose "type" says which other fields it has. Fields that a type
// requires are written even when empty; the others only when set.
type Part struct {
	Type string
	// ID is the text or reasoning part a text-* or reasoning-* part
	// belongs to.
	ID string
	// Delta is the text a text-delta or reasoning-delta adds.
	Delta string
	// MessageID is the optional message ID of a start part.
	MessageID string
	// FinishReason is the optional reason of a finish part.
	FinishReason string
	// ErrorText is the message of an error part.
	ErrorText string
	// Raw is the part's JSON as received by ParsePart; nil for a part
	// built to be sent.
	Raw json.RawMessage
}

// MarshalJSON writes the fields p's type has.
func (p Part) MarshalJSON() ([]byte, error) {
	return appendPart(nil, &p), nil
}

func appendPart(dst []byte, p *Part) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendJSONString(dst, p.Type) // JSON, not Go, quoting: a type may hold any text
	str := func(name, v string) {
		dst = append(dst, `,"`...)
		dst = append(dst, name...)
		dst = append(dst, `":`...)
		dst = appendJSONString(dst, v)
	}
	switch p.Type {
	case TypeTextStart, TypeTextEnd, TypeReasoningStart, TypeReasoningEnd:
		str("id", p.ID)
	case TypeTextDelta, TypeReasoningDelta:
		str("id", p.ID)
		str("delta", p.Delta)
	case TypeStart:
		if p.MessageID != "" {
			str("messageId", p.MessageID)
		}
	case TypeFinish:
		if p.FinishReason != "" {
			str("finishReason", p.FinishReason)
		}
	case TypeError:
		str("errorText", p.ErrorText)
	}
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// (invalid UTF-8 becomes U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
}

// ParsePart decodes the data of one UI message stream event. [Done] is not
// a part: check for it first. The JSON must be an object with a string
// "type"; fields of types this package does not name stay in Raw. It never
// panics, whatever data holds.
func ParsePart(data string) (Part, error) {
	var v struct {
		Type         string `json:"type"`
		ID           string `json:"id"`
		Delta        string `json:"delta"`
		MessageID    string `json:"messageId"`
		FinishReason string `json:"finishReason"`
		ErrorText    string `json:"errorText"`
	}
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return Part{}, fmt.Errorf("uistream: part: %w", err)
	}
	if v.Type == "" {
		return Part{}, errors.New("uistream: part without a type")
	}
	return Part{Type: v.Type, ID: v.ID, Delta: v.Delta, MessageID: v.MessageID,
		FinishReason: v.FinishReason, ErrorText: v.ErrorText, Raw: json.RawMessage(data)}, nil
}

// Writer writes one assistant message as a UI message stream: start, text
// (and reasoning) parts opened and closed as needed, then finish and
// [Done], or an error part and nothing after it. It keeps the state of
// one stream and is not safe for concurrent use.
type Writer struct {
	s        relay.Sender
	started  bool
	ended    bool
	open     string // type of the open text or reasoning part ("text" or "reasoning"), or ""
	openID   string
	nextPart int
	buf      []byte
}

// NewWriter returns a Writer sending to s.
func NewWriter(s relay.Sender) *Writer { return &Writer{s: s} }

// SetHeaders sets the UI message stream header, for a handler that opens
// the event stream itself.
func SetHeaders(set func(key, value string)) { set(Header, Version) }

// Send sends p as one event.
func (w *Writer) Send(p *Part) error {
	w.buf = appendPart(w.buf[:0], p)
	return w.s.Send(&sse.Event{Data: string(w.buf)})
}

// Start sends the start part, once; messageID may be empty. Text and
// Reasoning call it when it was not.
func (w *Writer) Start(messageID string) error {
	if w.started {
		return nil
	}
	w.started = true
	return w.Send(&Part{Type: TypeStart, MessageID: messageID})
}

// Text adds delta to the message's current text part, opening one first
// when needed. An empty delta sends nothing.
func (w *Writer) Text(delta string) error { return w.add("text", delta) }

// Reasoning adds delta to the current reasoning part, opening one first
// when needed. An empty delta sends nothing.
func (w *Writer) Reasoning(delta string) error { return w.add("reasoning", delta) }

func (w *Writer) add(kind, delta string) error {
	if delta == "" {
		return nil
	}
	if err := w.Start(""); err != nil {
		return err
	}
	if w.open != kind {
		if err := w.Close(); err != nil {
			return err
		}
		w.nextPart++
		w.open, w.openID = kind, kind+"-"+strconv.Itoa(w.nextPart)
		if err := w.Send(&Part{Type: kind + "-start", ID: w.openID}); err != nil {
			return err
		}
	}
	return w.Send(&Part{Type: kind + "-delta", ID: w.openID, Delta: delta})
}

// Close ends the open text or reasoning part, if any.
func (w *Writer) Close() error {
	if w.open == "" {
		return nil
	}
	typ := w.open + "-end"
	w.open = ""
	return w.Send(&Part{Type: typ, ID: w.openID})
}

// Finish ends the message: the open part, a finish part with reason (may
// be empty), and [Done]. Nothing may be sent after it.
func (w *Writer) Finish(reason string) error {
	if w.ended {
		return nil
	}
	if err := w.Start(""); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	w.ended = true
	if err := w.Send(&Part{Type: TypeFinish, FinishReason: reason}); err != nil {
		return err
	}
	return w.s.Send(&sse.Event{Data: Done})
}

// Abort ends the message with an abort part, the AI SDK's mark of an
// answer stopped on purpose; nothing is sent after it.
func (w *Writer) Abort() error {
	if w.ended {
		return nil
	}
	w.ended = true
	return w.Send(&Part{Type: TypeAbort})
}

// Error ends the message with an error part: no finish and no [Done]
// after it, so that no reader takes the message for complete.
func (w *Writer) Error(text string) error {
	if w.ended {
		return nil
	}
	w.ended = true
	return w.Send(&Part{Type: TypeError, ErrorText: text})
}
