package sdktest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// streamChat runs a streaming chat completion with openai-go against base
// and returns the accumulated text, the usage and the stream's error.
func streamChat(t *testing.T, base string) (string, openai.CompletionUsage, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := openai.NewClient(option.WithBaseURL(base), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "m",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	text := ""
	if len(acc.Choices) > 0 {
		text = acc.Choices[0].Message.Content
	}
	return text, acc.Usage, stream.Err()
}

func TestOpenAIGo(t *testing.T) {
	srv := newRelay(t, newUpstream(t))
	t.Run("complete", func(t *testing.T) {
		text, usage, err := streamChat(t, srv.URL+"/ok/v1/")
		if err != nil {
			t.Fatal(err)
		}
		if text != answer {
			t.Errorf("text %q, want %q", text, answer)
		}
		if usage.TotalTokens != 7 {
			t.Errorf("usage %+v", usage)
		}
	})
	t.Run("error event", func(t *testing.T) {
		text, _, err := streamChat(t, srv.URL+"/error/v1/")
		if err == nil || !strings.Contains(err.Error(), "The server is overloaded") {
			t.Errorf("err %v, want the upstream's error", err)
		}
		if text != "Hel" {
			t.Errorf("text %q", text)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		_, _, err := streamChat(t, srv.URL+"/cut/v1/")
		if err == nil || !strings.Contains(err.Error(), "upstream_truncated") {
			t.Errorf("err %v, want the truncation error", err)
		}
	})
	t.Run("429", func(t *testing.T) {
		_, _, err := streamChat(t, srv.URL+"/429/v1/")
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
			t.Fatalf("err %v, want a 429 openai.Error", err)
		}
		if !strings.Contains(apiErr.Message, "Rate limit reached") {
			t.Errorf("message %q", apiErr.Message)
		}
	})
}
