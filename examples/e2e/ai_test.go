package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/examples/internal/demo"
	"github.com/streamkit/streamkit/sse"
)

// aiPrompt is what ai/ai.mjs asks; the simulated model's answer to it is
// fixed.
const aiPrompt = "hello streamkit"

// needAINode skips the test without node or the npm packages of
// examples/e2e/ai, or fails it under CI=true.
func needAINode(t *testing.T) {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else {
		for _, pkg := range []string{"openai", "ai"} {
			if !exists(filepath.Join("ai", "node_modules", pkg, "package.json")) {
				missing = "npm package " + pkg + " is not installed: (cd examples/e2e/ai && npm ci)"
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

// runAI runs ai/ai.mjs and decodes its line.
func runAI(t *testing.T, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"ai.mjs"}, args...)...)
	cmd.Dir = "ai"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node ai.mjs %v: %v", args, err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	if e, ok := got["error"]; ok {
		t.Fatalf("node ai.mjs %v: %v", args, e)
	}
	return got
}

// TestAI drives the AI routes of every example server: the OpenAI SDK
// through the relay, useChat's transport on /api/chat, a resume after an
// abort, and the stop and error answers.
func TestAI(t *testing.T) {
	needAINode(t)
	answer := strings.Join(demo.SimTokens(aiPrompt), "")
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			tg.args = append(append([]string(nil), tg.args...), "-sim-delay", "20ms")
			s := startServer(t, tg)
			t.Run("openai-relay", func(t *testing.T) {
				got := runAI(t, "chat", s.url)
				want := map[string]any{"text": answer, "usage": float64(len(demo.SimTokens(aiPrompt)))}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
			t.Run("usechat", func(t *testing.T) {
				got := runAI(t, "ui", s.url, "chat-ui-"+tg.name)
				if got["text"] != answer {
					t.Errorf("text %q, want %q", got["text"], answer)
				}
			})
			t.Run("resume-after-abort", func(t *testing.T) {
				got := runAI(t, "resume", s.url, "chat-resume-"+tg.name)
				if got["text"] != answer || got["before"] == "" || got["afterFinished"] != "none" {
					t.Errorf("got %v, want the whole answer %q after the reconnect, and no stream once it is over", got, answer)
				}
			})
			t.Run("stop", func(t *testing.T) { checkStop(t, s, "chat-stop-"+strings.ReplaceAll(tg.name, "-", "")) })
			t.Run("bad-requests", func(t *testing.T) { checkAIBadRequests(t, s) })
		})
	}
}

func checkStop(t *testing.T, s *server, id string) {
	body := fmt.Sprintf(`{"id":%q,"messages":[{"id":"u1","role":"user","parts":[{"type":"text","text":"stop me"}]}]}`, id)
	resp, err := s.client.Post(s.url+"/api/chat", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := sse.NewReader(resp.Body, nil)
	for range 3 { // start, text-start, a delta
		if _, err := rd.Next(); err != nil {
			t.Fatal(err)
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, s.url+"/api/chat/"+id+"/stream", nil)
	del, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	del.Body.Close()
	if del.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: status %d, want 204", del.StatusCode)
	}
	var last string
	for ev, err := range rd.All() {
		if err != nil {
			t.Fatal(err)
		}
		last = ev.Data
	}
	if last != `{"type":"abort"}` {
		t.Errorf("the stopped stream ended with %q, want the abort part", last)
	}
	if resp, err := s.client.Get(s.url + "/api/chat/" + id + "/stream"); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Errorf("resume after the stop: %v %v, want 204", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
}

func checkAIBadRequests(t *testing.T, s *server) {
	cases := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/v1/chat/completions", `{"messages":[]}`, 400},
		{"POST", "/ai/v1/chat/completions", `not json`, 400},
		{"POST", "/api/chat", `{"id":"bad id!","messages":[]}`, 400},
		{"GET", "/api/chat/bad%20id/stream", "", 400},
		{"GET", "/api/chat/never-started/stream", "", 204},
		{"DELETE", "/api/chat/never-started/stream", "", 404},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, s.url+tc.path, strings.NewReader(tc.body))
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}
