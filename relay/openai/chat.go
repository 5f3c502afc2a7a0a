package openai

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/streamkit/streamkit/internal/ssefast"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/sse"
)

// Done is the data of the event that ends a Chat Completions stream.
const Done = "[DONE]"

// ChunkObject is the "object" of a streamed chat completion chunk.
const ChunkObject = "chat.completion.chunk"

// ChatChunk is one event of a streamed chat completion: a
// "chat.completion.chunk". With stream_options.include_usage the last chunk
// before [Done] has no choices and a Usage.
//
// Fields this type does not name are dropped by ParseChatChunk; the relay
// itself forwards chunks as the upstream sent them, unknown fields
// included.
type ChatChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
	ServiceTier       string        `json:"service_tier,omitempty"`
	Choices           []ChunkChoice `json:"choices"`
	Usage             *Usage        `json:"usage,omitempty"`
}

// ChunkChoice is one choice of a [ChatChunk].
type ChunkChoice struct {
	Index int   `json:"index"`
	Delta Delta `json:"delta"`
	// FinishReason is nil until the choice's last chunk: "stop",
	// "length", "tool_calls", "content_filter" or "function_call".
	FinishReason *string         `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs,omitempty"`
}

// Delta is what a chunk adds to a choice's message.
type Delta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
	Refusal *string `json:"refusal,omitempty"`
	// ReasoningContent is the reasoning text some OpenAI-compatible APIs
	// stream beside the content; OpenAI's own API does not send it.
	ReasoningContent *string         `json:"reasoning_content,omitempty"`
	ToolCalls        []ToolCallDelta `json:"tool_calls,omitempty"`
}

// ToolCallDelta is a piece of a tool call: its first piece has ID, Type
// and the function's Name, later ones more Arguments text.
type ToolCallDelta struct {
	Index    int            `json:"index"`
	ID       string         `json:"id,omitempty"`
	Type     string         `json:"type,omitempty"`
	Function *FunctionDelta `json:"function,omitempty"`
}

// FunctionDelta is the function part of a [ToolCallDelta].
type FunctionDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// Usage is the token count of a completion.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// APIError is OpenAI's error object: the "error" of an error body, and of
// an error sent in a stream after the 200.
type APIError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    any     `json:"code"`
}

// ErrorBody is an OpenAI error response body, {"error": {...}}: what the
// SDKs parse into their APIError.
type ErrorBody struct {
	Error APIError `json:"error"`
}

// ChatEvent is a decoded Chat Completions stream event: exactly one of its
// fields is set, or none for the terminator.
type ChatEvent struct {
	Chunk *ChatChunk
	Error *APIError
	// Done reports the terminator, data: [DONE].
	Done bool
}

// ParseChatEvent decodes the data of one Chat Completions stream event: the
// [Done] terminator, an {"error": ...} object, or a chunk. Anything else is
// an error. It never panics, whatever data holds.
func ParseChatEvent(data string) (ChatEvent, error) {
	if data == Done {
		return ChatEvent{Done: true}, nil
	}
	var v struct {
		ChatChunk
		Error *APIError `json:"error"`
	}
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return ChatEvent{}, fmt.Errorf("openai: chat stream event: %w", err)
	}
	if v.Error != nil {
		return ChatEvent{Error: v.Error}, nil
	}
	c := v.ChatChunk
	return ChatEvent{Chunk: &c}, nil
}

// AppendChunk appends c as the data of a stream event, as json.Marshal
// encodes it.
func AppendChunk(dst []byte, c *ChatChunk) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return dst, fmt.Errorf("openai: encode chunk: %w", err)
	}
	return append(dst, b...), nil
}

// SendChunk sends c as one Chat Completions stream event.
func SendChunk(s relay.Sender, c *ChatChunk) error {
	b, err := AppendChunk(nil, c)
	if err != nil {
		return err
	}
	return s.Send(&sse.Event{Data: string(b)})
}

// SendDone sends the terminator, data: [DONE].
func SendDone(s relay.Sender) error { return s.Send(&sse.Event{Data: Done}) }

// SendError sends e in the stream, {"error": e}, which the SDKs raise as an
// APIError. No [Done] may follow it.
func SendError(s relay.Sender, e APIError) error {
	b, err := json.Marshal(ErrorBody{Error: e})
	if err != nil {
		return fmt.Errorf("openai: encode error: %w", err)
	}
	return s.Send(&sse.Event{Data: string(b)})
}

// upstreamError converts an error object from the upstream.
func upstreamError(e *APIError) *relay.UpstreamError {
	ue := &relay.UpstreamError{Type: e.Type, Message: e.Message}
	if c, ok := e.Code.(string); ok && c != "" {
		ue.Type = c
	}
	return ue
}

// clientError is the error object a client gets for a relay's failure.
func clientError(err error) APIError {
	typ, msg := relay.Describe(err)
	return APIError{Message: msg, Type: typ, Code: typ}
}

// Chat returns a [relay.Translator] from a Chat Completions stream to the
// same format: each chunk is forwarded as the upstream encoded it (unknown
// fields included), re-framed by the client's stream; [Done] ends the
// stream; an upstream {"error": ...} event, or data that is not a JSON
// object, ends it with an error event. Events with a name other than
// "message" are not part of the format and are ignored. A failure is sent
// as {"error": {"message", "type", "code"}} with no [Done] after it.
func Chat() relay.Translator { return &chatRelay{} }

type chatRelay struct {
	// choicesAt is where the last chunk named its choices. The chunks of
	// one stream share their leading fields (id, object, created, model),
	// so the next one names them at the same offset, found without a
	// search.
	choicesAt int

	// out is where an event forwarded to an *sse.Stream is encoded.
	out []byte
}

// maxKeptEvent is the largest encoding buffer a chat translator keeps
// between events, so that one big event does not pin its memory.
const maxKeptEvent = 64 << 10

var (
	doneData    = []byte(Done)
	choicesName = []byte(`"choices"`)
)

func (t *chatRelay) Event(s relay.Sender, ev *sse.RawEvent) (bool, error) {
	if ev.Type != "message" {
		return false, nil
	}
	if bytes.Equal(ev.Data, doneData) {
		return true, nil
	}
	d := trimJSONSpace(ev.Data)
	if len(d) == 0 || d[0] != '{' {
		return false, &relay.UpstreamError{Type: "invalid_chunk", Message: "the upstream sent an event that is not a JSON object"}
	}
	// A chunk names its choices early on (an empty list in the usage
	// chunk); only an event without them is decoded, to find an error.
	// The usual chunk is forwarded without being decoded.
	if !t.hasChoices(d) {
		ce, err := ParseChatEvent(string(d))
		if err != nil {
			return false, &relay.UpstreamError{Type: "invalid_chunk", Message: "the upstream sent an event that is not valid JSON"}
		}
		if ce.Error != nil {
			return false, upstreamError(ce.Error)
		}
	}
	return false, t.forward(s, ev)
}

// forward sends ev's data on as a message event, as relay.Forward does. To
// an *sse.Stream it writes the upstream's bytes when they are the event's
// encoding already, else it encodes the event into the translator's own
// buffer, without searching the data for line breaks when the relay's
// Reader parsed it from a single data line (see internal/ssefast); either
// way one message, which the default flush policy writes straight to the
// connection.
func (t *chatRelay) forward(s relay.Sender, ev *sse.RawEvent) error {
	st, ok := s.(*sse.Stream)
	if !ok {
		return relay.Forward(s, "", ev.Data)
	}
	if w := ssefast.Wire(ev); w != nil {
		// The upstream's own bytes are the event as it is encoded.
		_, err := st.Core().Write(w)
		return err
	}
	t.out = ssefast.AppendData(t.out[:0], ev)
	_, err := st.Core().Write(t.out)
	if cap(t.out) > maxKeptEvent {
		t.out = nil
	}
	return err
}

// trimJSONSpace drops the white space JSON allows before a value.
func trimJSONSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// hasChoices reports whether d contains "choices", looking first where the
// stream's last chunk had it.
func (t *chatRelay) hasChoices(d []byte) bool {
	if i := t.choicesAt; i+len(choicesName) <= len(d) && bytes.Equal(d[i:i+len(choicesName)], choicesName) {
		return true
	}
	i := indexChoices(d)
	if i >= 0 {
		t.choicesAt = i
	}
	return i >= 0
}

// indexChoices returns the index of one "choices" in d (not always the
// first), or -1 when there is none.
//
// The usual chunk's first '[' opens its choices, so it looks right before
// that first, after one quick search for a rare byte. Failing that, it
// searches windows of 64 bytes, overlapping by the name's length:
// bytes.Index searches a text that short with its vectorised code at once,
// where on a longer one it first tries each quote (JSON has many) one by
// one.
func indexChoices(d []byte) int {
	const key = `"choices":`
	if i := bytes.IndexByte(d, '['); i >= len(key) && string(d[i-len(key):i]) == key {
		return i - len(key)
	}
	const window = 64
	for off := 0; ; off += window - len(choicesName) + 1 {
		end := min(off+window, len(d))
		if i := bytes.Index(d[off:end], choicesName); i >= 0 {
			return off + i
		}
		if end == len(d) {
			return -1
		}
	}
}

func (*chatRelay) End(s relay.Sender) error { return SendDone(s) }

func (*chatRelay) Fail(s relay.Sender, err error) error { return SendError(s, clientError(err)) }

func (*chatRelay) ErrorBody(status int, err error) (string, []byte) { return errorBody(err) }

func errorBody(err error) (string, []byte) {
	b, _ := json.Marshal(ErrorBody{Error: clientError(err)})
	return "application/json", append(b, '\n')
}
