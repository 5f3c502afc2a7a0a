package openai_test

import (
	"reflect"
	"testing"

	"github.com/streamkit/streamkit/relay/openai"
)

// FuzzParseChatEvent: decoding never panics, and a decoded chunk encodes
// to JSON that decodes to the same chunk, from the first re-encoding on
// (the first may still normalise raw fields' spacing).
func FuzzParseChatEvent(f *testing.F) {
	f.Add(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi","tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":"{"}}]},"finish_reason":null,"logprobs":{ "a" : 1 }}]}`)
	f.Add(`{"error":{"message":"m","type":"t","code":429}}`)
	f.Add(`[DONE]`)
	f.Add(`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`)
	f.Fuzz(func(t *testing.T, data string) {
		ce, err := openai.ParseChatEvent(data)
		if err != nil || ce.Chunk == nil {
			return
		}
		next := func(c *openai.ChatChunk) *openai.ChatChunk {
			b, err := openai.AppendChunk(nil, c)
			if err != nil {
				t.Fatalf("encoding a decoded chunk: %v", err)
			}
			ce, err := openai.ParseChatEvent(string(b))
			if err != nil || ce.Chunk == nil {
				t.Fatalf("decoding %s: %v", b, err)
			}
			return ce.Chunk
		}
		c2 := next(ce.Chunk)
		c3 := next(c2)
		if !reflect.DeepEqual(c2, c3) {
			t.Fatalf("round trip changed the chunk:\n%+v\n%+v", c2, c3)
		}
		if c2.ID != ce.Chunk.ID || len(c2.Choices) != len(ce.Chunk.Choices) {
			t.Fatalf("round trip lost fields")
		}
	})
}

// FuzzParseResponseEvent: decoding never panics, and a decoded event keeps
// its type, sequence number and raw JSON.
func FuzzParseResponseEvent(f *testing.F) {
	f.Add(`{"type":"response.output_text.delta","sequence_number":3,"item_id":"i","output_index":0,"content_index":0,"delta":"x"}`)
	f.Add(`{"type":"response.failed","sequence_number":9,"response":{"id":"r","status":"failed","error":{"code":"c","message":"m"}}}`)
	f.Add(`{"type":"error","code":"c","message":"m","param":null,"sequence_number":1}`)
	f.Fuzz(func(t *testing.T, data string) {
		e, err := openai.ParseResponseEvent(data)
		if err != nil {
			return
		}
		if e.Type == "" || string(e.Raw) != data {
			t.Fatalf("decoded %+v from %q", e, data)
		}
	})
}
