package openai_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/sse"
)

// printer is a relay.Sender that prints each event.
type printer struct{}

func (printer) Send(e *sse.Event) error {
	if e.Type != "" {
		fmt.Printf("event: %s\n", e.Type)
	}
	fmt.Printf("data: %s\n", e.Data)
	return nil
}

func ExampleParseChatEvent() {
	for _, data := range []string{
		`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`,
		`{"error":{"message":"overloaded","type":"server_error"}}`,
		`[DONE]`,
	} {
		ce, err := openai.ParseChatEvent(data)
		switch {
		case err != nil:
			fmt.Println("error:", err)
		case ce.Done:
			fmt.Println("done")
		case ce.Error != nil:
			fmt.Println("upstream error:", ce.Error.Message)
		default:
			fmt.Println("content:", *ce.Chunk.Choices[0].Delta.Content)
		}
	}
	// Output:
	// content: Hi
	// upstream error: overloaded
	// done
}

// Writing a chat completion stream of one's own, as a simulated model does.
func ExampleSendChunk() {
	text := "Hi"
	stop := "stop"
	var s printer
	openai.SendChunk(s, &openai.ChatChunk{ID: "c1", Object: openai.ChunkObject, Created: 1, Model: "sim",
		Choices: []openai.ChunkChoice{{Delta: openai.Delta{Content: &text}}}})
	openai.SendChunk(s, &openai.ChatChunk{ID: "c1", Object: openai.ChunkObject, Created: 1, Model: "sim",
		Choices: []openai.ChunkChoice{{FinishReason: &stop}}})
	openai.SendDone(s)
	// Output:
	// data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"sim","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}
	// data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"sim","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}
	// data: [DONE]
}

// A Responses stream cut short: the client gets an error event numbered
// after the last one relayed.
func ExampleResponses() {
	upstream := "event: response.created\n" +
		`data: {"type":"response.created","sequence_number":0,"response":{"id":"r1","status":"in_progress"}}` + "\n\n" +
		"event: response.output_text.delta\n" +
		`data: {"type":"response.output_text.delta","sequence_number":1,"delta":"Hel"}` + "\n\n"
	err := relay.Copy(context.Background(), printer{}, io.NopCloser(strings.NewReader(upstream)), openai.Responses(), nil)
	fmt.Println(err)
	// Output:
	// event: response.created
	// data: {"type":"response.created","sequence_number":0,"response":{"id":"r1","status":"in_progress"}}
	// event: response.output_text.delta
	// data: {"type":"response.output_text.delta","sequence_number":1,"delta":"Hel"}
	// event: error
	// data: {"type":"error","sequence_number":2,"code":"upstream_truncated","message":"the upstream stream ended before the answer was complete"}
	// relay: upstream failed: stream ended without its terminator
}
