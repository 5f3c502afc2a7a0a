package relay_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/anthropic"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/relay/uistream"
	"github.com/streamkit/streamkit/sse"
)

// recorder is a Sender that keeps what it was sent.
type recorder struct{ evs []sse.Event }

func (r *recorder) Send(e *sse.Event) error {
	r.evs = append(r.evs, *e)
	return nil
}

// format describes a client format for the checks: which client events
// are its success terminator and its error.
type format struct {
	name    string
	new     func() relay.Translator
	success func(e sse.Event) bool
	failure func(e sse.Event) bool
}

var formats = []format{
	{"openai chat", openai.Chat,
		func(e sse.Event) bool { return e.Data == "[DONE]" },
		func(e sse.Event) bool { ce, err := openai.ParseChatEvent(e.Data); return err == nil && ce.Error != nil }},
	{"openai responses", openai.Responses,
		func(e sse.Event) bool {
			return e.Type == openai.ResponseCompleted || e.Type == openai.ResponseIncomplete
		},
		func(e sse.Event) bool { return e.Type == openai.ResponseError || e.Type == openai.ResponseFailed }},
	{"anthropic", anthropic.Messages,
		func(e sse.Event) bool { return e.Type == anthropic.MessageStop },
		func(e sse.Event) bool { return e.Type == anthropic.Error }},
	{"openai chat to ui", uistream.FromOpenAIChat, uiSuccess, uiFailure},
	{"anthropic to ui", uistream.FromAnthropic, uiSuccess, uiFailure},
}

func uiSuccess(e sse.Event) bool { return e.Data == "[DONE]" }

func uiFailure(e sse.Event) bool {
	p, err := uistream.ParsePart(e.Data)
	return err == nil && p.Type == uistream.TypeError
}

// checkEnds is the rule every relay keeps, whatever the upstream sent:
// a relay that returns nil sent exactly one success terminator, last, and
// no error; one that returns an upstream error sent exactly one error,
// last, and no success terminator.
func checkEnds(t *testing.T, f format, evs []sse.Event, err error) {
	t.Helper()
	var succ, fails int
	for _, e := range evs {
		if f.success(e) {
			succ++
		}
		if f.failure(e) {
			fails++
		}
	}
	switch {
	case err == nil:
		if succ != 1 || fails != 0 || !f.success(evs[len(evs)-1]) {
			t.Fatalf("%s: relay succeeded but sent %d success terminators and %d errors: %+v", f.name, succ, fails, evs)
		}
	case errors.Is(err, relay.ErrUpstream):
		if succ != 0 || fails != 1 || !f.failure(evs[len(evs)-1]) {
			t.Fatalf("%s: relay failed (%v) but sent %d success terminators and %d errors: %+v", f.name, err, succ, fails, evs)
		}
	default:
		t.Fatalf("%s: unexpected error %v", f.name, err)
	}
}

func copyAll(f format, upstream string) ([]sse.Event, error) {
	var rec recorder
	err := relay.Copy(context.Background(), &rec, io.NopCloser(strings.NewReader(upstream)), f.new(), nil)
	return rec.evs, err
}

const chatStream = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" world"},"finish_reason":"stop"}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}

data: [DONE]

`

const anthropicStream = `event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: some_future_event
data: {"type":"some_future_event","x":1}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}

event: message_stop
data: {"type":"message_stop"}

`

const responsesStream = `event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress"}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello"}

event: response.some_new_event
data: {"type":"response.some_new_event","sequence_number":2}

event: response.completed
data: {"type":"response.completed","sequence_number":3,"response":{"id":"resp_1","object":"response","status":"completed"}}

`

func TestFormatsComplete(t *testing.T) {
	cases := []struct {
		f        format
		upstream string
		want     []string // client event data
	}{
		{formats[0], chatStream, nil},
		{formats[1], responsesStream, nil},
		{formats[2], anthropicStream, nil},
		{formats[3], chatStream, []string{
			`{"type":"start","messageId":"chatcmpl-1"}`,
			`{"type":"text-start","id":"text-1"}`,
			`{"type":"text-delta","id":"text-1","delta":"Hello"}`,
			`{"type":"text-delta","id":"text-1","delta":" world"}`,
			`{"type":"text-end","id":"text-1"}`,
			`{"type":"finish","finishReason":"stop"}`,
			`[DONE]`,
		}},
		{formats[4], anthropicStream, []string{
			`{"type":"start","messageId":"msg_1"}`,
			`{"type":"text-start","id":"text-1"}`,
			`{"type":"text-delta","id":"text-1","delta":"Hello"}`,
			`{"type":"text-delta","id":"text-1","delta":" world"}`,
			`{"type":"text-end","id":"text-1"}`,
			`{"type":"finish","finishReason":"stop"}`,
			`[DONE]`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.f.name, func(t *testing.T) {
			evs, err := copyAll(tc.f, tc.upstream)
			checkEnds(t, tc.f, evs, err)
			if tc.want != nil {
				var got []string
				for _, e := range evs {
					got = append(got, e.Data)
				}
				if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
				}
			}
			for _, e := range evs {
				if e.Type == "ping" || strings.Contains(e.Data, `"ping"`) {
					t.Errorf("ping forwarded: %q", e.Data)
				}
			}
		})
	}
}

func TestFormatsFail(t *testing.T) {
	cases := []struct {
		f        format
		upstream string
		wantMsg  string
	}{
		{formats[0], strings.Replace(chatStream, "data: [DONE]\n\n", "", 1), "ended before"},
		{formats[0], `data: {"error":{"message":"quota","type":"insufficient_quota"}}` + "\n\ndata: [DONE]\n\n", "quota"},
		{formats[1], strings.Split(responsesStream, "event: response.completed")[0], "ended before"},
		{formats[1], `event: error` + "\n" + `data: {"type":"error","sequence_number":0,"code":"server_error","message":"boom"}` + "\n\n", "boom"},
		{formats[1], `event: response.failed` + "\n" + `data: {"type":"response.failed","sequence_number":0,"response":{"id":"r","status":"failed","error":{"code":"server_error","message":"bad"}}}` + "\n\n", ""},
		{formats[2], strings.Split(anthropicStream, "event: message_stop")[0], "ended before"},
		{formats[2], "event: error\n" + `data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` + "\n\n", "Overloaded"},
		{formats[3], strings.Replace(chatStream, "data: [DONE]\n\n", `data: {"error":{"message":"quota","type":"x"}}`+"\n\n", 1), "quota"},
		{formats[3], "data: not json\n\n", "not a chat chunk"},
		{formats[4], strings.Split(anthropicStream, "event: message_stop")[0], "ended before"},
		{formats[4], "event: error\n" + `data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` + "\n\n", "Overloaded"},
	}
	for _, tc := range cases {
		t.Run(tc.f.name, func(t *testing.T) {
			evs, err := copyAll(tc.f, tc.upstream)
			if !errors.Is(err, relay.ErrUpstream) {
				t.Fatalf("relay returned %v, want an upstream failure", err)
			}
			checkEnds(t, tc.f, evs, err)
			if last := evs[len(evs)-1].Data; !strings.Contains(last, tc.wantMsg) {
				t.Errorf("error event %q does not say %q", last, tc.wantMsg)
			}
		})
	}
}

// FuzzRelayEnds feeds arbitrary upstream bytes to every translator and
// checks the rule of checkEnds: never a success terminator after an
// error, never a success without its terminator.
func FuzzRelayEnds(f *testing.F) {
	for _, s := range []string{chatStream, anthropicStream, responsesStream,
		"data: [DONE]\n\n", "event: error\ndata: {}\n\n", "data: {\"error\":1}\n\n",
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, upstream string) {
		for _, fm := range formats {
			evs, err := copyAll(fm, upstream)
			checkEnds(t, fm, evs, err)
		}
	})
}
