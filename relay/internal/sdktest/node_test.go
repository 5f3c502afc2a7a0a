package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// nodeDir holds check.mjs and the pinned SDKs.
const nodeDir = "node"

// needNode skips the test when node or the npm packages are missing, or
// fails it under CI=true, where .ci/run has installed them.
func needNode(t *testing.T) {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else {
		for _, pkg := range []string{"openai", "@anthropic-ai/sdk", "ai"} {
			if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", pkg, "package.json")); err != nil {
				missing = "npm package " + pkg + " is not installed (run npm ci in relay/internal/sdktest/node)"
				break
			}
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(missing)
	}
	t.Skip(missing)
}

// runNode runs check.mjs in mode against url and decodes what it printed.
func runNode(t *testing.T, mode, url string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "check.mjs", mode, url)
	cmd.Dir = nodeDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node check.mjs %s %s: %v\n%s", mode, url, err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	return got
}

// want checks the named fields of got.
func want(t *testing.T, got map[string]any, fields map[string]any) {
	t.Helper()
	for k, v := range fields {
		if g := got[k]; !reflect.DeepEqual(g, v) {
			t.Errorf("%s = %#v, want %#v (all: %v)", k, g, v, got)
		}
	}
}

func strs(s ...string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestNodeSDKs(t *testing.T) {
	needNode(t)
	srv := newRelay(t, newUpstream(t))
	u := srv.URL

	t.Run("openai chat", func(t *testing.T) {
		got := runNode(t, "chat", u+"/ok/v1")
		want(t, got, map[string]any{"text": answer, "finish": "stop", "error": nil,
			"usage": map[string]any{"prompt_tokens": 3.0, "completion_tokens": 4.0, "total_tokens": 7.0}})
	})
	t.Run("openai chat error event", func(t *testing.T) {
		got := runNode(t, "chat", u+"/error/v1")
		want(t, got, map[string]any{"error": "APIError", "text": "Hel", "message": "The server is overloaded"})
	})
	t.Run("openai chat truncated", func(t *testing.T) {
		// The SDK alone would take a stream cut before [DONE] for a
		// complete one; through the relay it raises.
		got := runNode(t, "chat", u+"/cut/v1")
		want(t, got, map[string]any{"error": "APIError", "text": "Hello"})
	})
	t.Run("openai chat 429", func(t *testing.T) {
		got := runNode(t, "chat", u+"/429/v1")
		want(t, got, map[string]any{"error": "RateLimitError", "status": 429.0, "chunks": 0.0})
	})
	t.Run("openai responses", func(t *testing.T) {
		got := runNode(t, "responses", u+"/ok/v1")
		want(t, got, map[string]any{"text": answer, "error": nil,
			"types": strs("response.created", "response.in_progress", "response.output_text.delta",
				"response.output_text.delta", "response.output_text.delta", "response.output_text.delta", "response.completed"),
			"sequence": []any{0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0}})
	})
	t.Run("openai responses truncated", func(t *testing.T) {
		got := runNode(t, "responses", u+"/cut/v1")
		types := got["types"].([]any)
		if len(types) == 0 || types[len(types)-1] != "error" {
			t.Errorf("types %v, want an error event last", types)
		}
		seq := got["sequence"].([]any)
		if seq[len(seq)-1] != 6.0 {
			t.Errorf("sequence %v, want the error numbered 6", seq)
		}
	})
	t.Run("anthropic stream", func(t *testing.T) {
		got := runNode(t, "messages-stream", u+"/ok")
		want(t, got, map[string]any{"text": answer, "stop": "end_turn", "usage": 4.0, "error": nil})
	})
	t.Run("anthropic create", func(t *testing.T) {
		got := runNode(t, "messages-create", u+"/ok")
		want(t, got, map[string]any{"text": answer, "error": nil,
			"types": strs("message_start", "content_block_start", "content_block_delta", "content_block_delta",
				"content_block_delta", "content_block_delta", "future_event_type", "content_block_stop", "message_delta", "message_stop")})
	})
	t.Run("anthropic error event", func(t *testing.T) {
		got := runNode(t, "messages-stream", u+"/error")
		want(t, got, map[string]any{"error": "APIError"})
	})
	t.Run("anthropic truncated", func(t *testing.T) {
		got := runNode(t, "messages-stream", u+"/cut")
		want(t, got, map[string]any{"error": "APIError"})
	})
	t.Run("ui from openai", func(t *testing.T) {
		got := runNode(t, "ui", u+"/ok/ui/chat")
		want(t, got, map[string]any{"header": "v1", "text": answer, "id": "chatcmpl-7", "error": nil,
			"chunks": strs("start", "text-start", "text-delta", "text-delta", "text-delta", "text-delta", "text-end", "finish"),
			"parts":  strs("text")})
	})
	t.Run("ui from anthropic", func(t *testing.T) {
		got := runNode(t, "ui", u+"/ok/ui/messages")
		want(t, got, map[string]any{"header": "v1", "text": answer, "id": "msg_01", "error": nil})
	})
	t.Run("ui error", func(t *testing.T) {
		got := runNode(t, "ui", u+"/error/ui/chat")
		want(t, got, map[string]any{"error": "Error", "message": "The server is overloaded"})
	})
	t.Run("ui truncated", func(t *testing.T) {
		got := runNode(t, "ui", u+"/cut/ui/messages")
		want(t, got, map[string]any{"error": "Error", "message": "the upstream stream ended before the answer was complete"})
	})
}
