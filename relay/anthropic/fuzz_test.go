package anthropic_test

import (
	"encoding/json"
	"testing"

	"github.com/streamkit/streamkit/relay/anthropic"
)

// FuzzParseEvent: decoding never panics; a decoded event has a type and
// keeps its raw JSON; and its typed fields encode to JSON that decodes to
// the same type.
func FuzzParseEvent(f *testing.F) {
	f.Add(`{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"c","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}`)
	f.Add(`{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a"}}`)
	f.Add(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
	f.Add(`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}`)
	f.Fuzz(func(t *testing.T, data string) {
		e, err := anthropic.ParseEvent(data)
		if err != nil {
			return
		}
		if e.Type == "" || string(e.Raw) != data {
			t.Fatalf("decoded %+v from %q", e, data)
		}
		e.Raw = nil
		b, err := json.Marshal(&e)
		if err != nil {
			t.Fatalf("encoding a decoded event: %v", err)
		}
		e2, err := anthropic.ParseEvent(string(b))
		if err != nil || e2.Type != e.Type {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
	})
}
