package uistream_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/uistream"
	"github.com/streamkit/streamkit/sse"
)

type printer struct{}

func (printer) Send(e *sse.Event) error {
	fmt.Printf("data: %s\n", e.Data)
	return nil
}

// Writing a message for useChat by hand.
func ExampleWriter() {
	w := uistream.NewWriter(printer{})
	w.Start("msg-1")
	w.Text("Hello")
	w.Text(", world")
	w.Finish(uistream.FinishStop)
	// Output:
	// data: {"type":"start","messageId":"msg-1"}
	// data: {"type":"text-start","id":"text-1"}
	// data: {"type":"text-delta","id":"text-1","delta":"Hello"}
	// data: {"type":"text-delta","id":"text-1","delta":", world"}
	// data: {"type":"text-end","id":"text-1"}
	// data: {"type":"finish","finishReason":"stop"}
	// data: [DONE]
}

// An OpenAI-compatible upstream converted for useChat; the stream is cut
// before [DONE], so the message ends with an error part.
func ExampleFromOpenAIChat() {
	upstream := `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}` + "\n\n"
	err := relay.Copy(context.Background(), printer{}, io.NopCloser(strings.NewReader(upstream)), uistream.FromOpenAIChat(), nil)
	fmt.Println(err)
	// Output:
	// data: {"type":"start","messageId":"c1"}
	// data: {"type":"text-start","id":"text-1"}
	// data: {"type":"text-delta","id":"text-1","delta":"Hi"}
	// data: {"type":"error","errorText":"the upstream stream ended before the answer was complete"}
	// relay: upstream failed: stream ended without its terminator
}

func ExampleParsePart() {
	p, err := uistream.ParsePart(`{"type":"text-delta","id":"text-1","delta":"Hi"}`)
	fmt.Println(p.Type, p.ID, p.Delta, err)
	// Output: text-delta text-1 Hi <nil>
}
