package uistream

import (
	"errors"

	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/anthropic"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/sse"
)

// translator is what both conversions share: the Writer, the finish
// reason seen, and the client format's ends.
type translator struct {
	w      *Writer
	reason string
}

func (t *translator) writer(s relay.Sender) *Writer {
	if t.w == nil {
		t.w = NewWriter(s)
	}
	return t.w
}

func (t *translator) SetHeaders(set func(key, value string)) { SetHeaders(set) }

func (t *translator) End(s relay.Sender) error { return t.writer(s).Finish(t.reason) }

func (t *translator) Fail(s relay.Sender, err error) error {
	if errors.Is(err, relay.ErrStopped) {
		return t.writer(s).Abort()
	}
	_, msg := relay.Describe(err)
	return t.writer(s).Error(msg)
}

// FromOpenAIChat returns a [relay.Translator] from an OpenAI Chat
// Completions stream to a UI message stream: the first chunk starts the
// message (its ID becomes the messageId), content becomes a text part and
// reasoning_content (as some compatible APIs send it) a reasoning part,
// the choice's finish_reason the finish part's reason, and [DONE] ends the
// message. Only choice 0 is read; tool-call deltas are not converted; the
// usage chunk is left to [relay.Options.OnEvent]. An upstream error ends
// the message with an error part and no [Done].
func FromOpenAIChat() relay.Translator { return &fromChat{} }

type fromChat struct{ translator }

func (t *fromChat) Event(s relay.Sender, ev *sse.RawEvent) (bool, error) {
	if ev.Type != "message" {
		return false, nil
	}
	ce, err := openai.ParseChatEvent(string(ev.Data))
	switch {
	case err != nil:
		return false, &relay.UpstreamError{Type: "invalid_chunk", Message: "the upstream sent an event that is not a chat chunk"}
	case ce.Done:
		return true, nil
	case ce.Error != nil:
		return false, &relay.UpstreamError{Type: ce.Error.Type, Message: ce.Error.Message}
	}
	w := t.writer(s)
	if err := w.Start(ce.Chunk.ID); err != nil {
		return false, err
	}
	for _, c := range ce.Chunk.Choices {
		if c.Index != 0 {
			continue
		}
		if c.Delta.ReasoningContent != nil {
			if err := w.Reasoning(*c.Delta.ReasoningContent); err != nil {
				return false, err
			}
		}
		if c.Delta.Content != nil {
			if err := w.Text(*c.Delta.Content); err != nil {
				return false, err
			}
		}
		if c.FinishReason != nil {
			t.reason = chatReason(*c.FinishReason)
		}
	}
	return false, nil
}

// chatReason maps an OpenAI finish_reason to the UI stream's.
func chatReason(r string) string {
	switch r {
	case "stop":
		return FinishStop
	case "length":
		return FinishLength
	case "tool_calls", "function_call":
		return FinishToolCalls
	case "content_filter":
		return FinishContentFilter
	}
	return FinishOther
}

// FromAnthropic returns a [relay.Translator] from an Anthropic Messages
// stream to a UI message stream: message_start starts the message (its ID
// becomes the messageId), text blocks become text parts and thinking
// blocks reasoning parts, message_delta's stop_reason the finish part's
// reason, and message_stop ends the message. ping and unknown event types
// are ignored; tool_use blocks are not converted. An error event ends the
// message with an error part and no [Done].
func FromAnthropic() relay.Translator { return &fromAnthropic{} }

type fromAnthropic struct{ translator }

func (t *fromAnthropic) Event(s relay.Sender, ev *sse.RawEvent) (bool, error) {
	e, err := anthropic.ParseEvent(string(ev.Data))
	if err != nil {
		return false, &relay.UpstreamError{Type: "invalid_event", Message: "the upstream sent an event that is not a typed JSON object"}
	}
	w := t.writer(s)
	switch e.Type {
	case anthropic.Error:
		ue := &relay.UpstreamError{Type: "api_error", Message: "the upstream failed"}
		if e.Error != nil {
			ue.Type, ue.Message = e.Error.Type, e.Error.Message
		}
		return false, ue
	case anthropic.MessageStart:
		id := ""
		if e.Message != nil {
			id = e.Message.ID
		}
		return false, w.Start(id)
	case anthropic.ContentBlockDelta:
		if e.Delta == nil {
			return false, nil
		}
		switch {
		case e.Delta.Text != nil:
			return false, w.Text(*e.Delta.Text)
		case e.Delta.Thinking != nil:
			return false, w.Reasoning(*e.Delta.Thinking)
		}
	case anthropic.ContentBlockStop:
		return false, w.Close()
	case anthropic.MessageDelta:
		if e.Delta != nil && e.Delta.StopReason != nil {
			t.reason = anthropicReason(*e.Delta.StopReason)
		}
	case anthropic.MessageStop:
		return true, nil
	}
	return false, nil
}

// anthropicReason maps an Anthropic stop_reason to the UI stream's.
func anthropicReason(r string) string {
	switch r {
	case "end_turn", "stop_sequence", "pause_turn":
		return FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return FinishLength
	case "tool_use":
		return FinishToolCalls
	case "refusal":
		return FinishContentFilter
	}
	return FinishOther
}
