package anthropic_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/anthropic"
	"github.com/streamkit/streamkit/sse"
)

type printer struct{}

func (printer) Send(e *sse.Event) error {
	fmt.Printf("event: %s\ndata: %s\n", e.Type, e.Data)
	return nil
}

// An upstream that is overloaded mid-answer: the ping is consumed, the
// error relayed as the client's error event, and nothing after it.
func ExampleMessages() {
	upstream := "event: message_start\n" +
		`data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}` + "\n\n" +
		"event: ping\ndata: {\"type\":\"ping\"}\n\n" +
		"event: error\n" + `data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` + "\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	err := relay.Copy(context.Background(), printer{}, io.NopCloser(strings.NewReader(upstream)), anthropic.Messages(), nil)
	fmt.Println(err)
	// Output:
	// event: message_start
	// data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}
	// event: error
	// data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
	// relay: upstream error event (overloaded_error): Overloaded
}

func ExampleParseEvent() {
	e, err := anthropic.ParseEvent(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`)
	fmt.Println(e.Type, *e.Index, *e.Delta.Text, err)
	// Output: content_block_delta 0 Hello <nil>
}
