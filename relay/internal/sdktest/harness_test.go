package sdktest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/anthropic"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/relay/uistream"
	"github.com/streamkit/streamkit/sse"
)

// The text every successful scripted answer spells out.
const answer = "Hello, world"

var words = []string{"Hel", "lo,", " wor", "ld"}

func chatChunk(content, finish string) string {
	f := "null"
	if finish != "" {
		f = `"` + finish + `"`
	}
	delta := "{}"
	if content != "" {
		delta = fmt.Sprintf(`{"content":%q}`, content)
	}
	return fmt.Sprintf(`data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`+"\n\n", delta, f)
}

// upstreamStreams are the scripted upstream answers, by path. Comments
// and pings are mixed in: the relay must drop them.
var upstreamStreams = map[string]string{
	"/chat/ok": func() string {
		var b strings.Builder
		b.WriteString(": OPENROUTER PROCESSING\n\n")
		b.WriteString(`data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n")
		for _, w := range words {
			b.WriteString(chatChunk(w, ""))
		}
		b.WriteString(chatChunk("", "stop"))
		b.WriteString(`data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}` + "\n\n")
		b.WriteString("data: [DONE]\n\n")
		return b.String()
	}(),
	"/chat/error": chatChunk("Hel", "") + `data: {"error":{"message":"The server is overloaded","type":"server_error","code":null}}` + "\n\ndata: [DONE]\n\n",
	"/chat/cut":   chatChunk("Hel", "") + chatChunk("lo", ""),

	"/responses/ok":  responsesEvents(true),
	"/responses/cut": responsesEvents(false),

	"/messages/ok":    anthropicEvents(true, false),
	"/messages/error": anthropicEvents(false, true),
	"/messages/cut":   anthropicEvents(false, false),
}

func responsesEvents(complete bool) string {
	var b strings.Builder
	seq := 0
	ev := func(typ, fields string) {
		fmt.Fprintf(&b, "event: %s\ndata: {\"type\":%q,\"sequence_number\":%d%s}\n\n", typ, typ, seq, fields)
		seq++
	}
	resp := func(status string) string {
		return fmt.Sprintf(`,"response":{"id":"resp_1","object":"response","created_at":1700000000,"status":%q,"model":"m","output":[],"parallel_tool_calls":true,"tool_choice":"auto","tools":[]}`, status)
	}
	ev("response.created", resp("in_progress"))
	ev("response.in_progress", resp("in_progress"))
	for _, w := range words {
		ev("response.output_text.delta", fmt.Sprintf(`,"item_id":"msg_1","output_index":0,"content_index":0,"delta":%q,"logprobs":[]`, w))
	}
	b.WriteString(": keep-alive\n\n")
	if complete {
		ev("response.completed", resp("completed"))
	}
	return b.String()
}

func anthropicEvents(complete, fail bool) string {
	var b strings.Builder
	ev := func(typ, data string) { fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", typ, data) }
	ev("message_start", `{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}`)
	ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	ev("ping", `{"type": "ping"}`)
	for i, w := range words {
		ev("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}}`, w))
		if fail && i == 1 {
			ev("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
			return b.String()
		}
	}
	ev("future_event_type", `{"type":"future_event_type","anything":true}`)
	ev("content_block_stop", `{"type":"content_block_stop","index":0}`)
	ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":4}}`)
	if complete {
		ev("message_stop", `{"type":"message_stop"}`)
	}
	return b.String()
}

// newUpstream serves the scripted answers, and a 429 at /status/429.
func newUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/status/429" {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`)
			return
		}
		body, ok := upstreamStreams[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		// Event by event, flushed, as a model API sends them.
		for _, ev := range strings.SplitAfter(body, "\n\n") {
			io.WriteString(w, ev)
			rc.Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newRelay starts the streamkit server the SDKs talk to. Its heartbeats
// come every 2ms of silence, so the SDKs meet comments between events. A route is
// /{scenario}/{client path}; the scenario picks the scripted answer:
//
//	/{s}/v1/chat/completions  OpenAI chat     <- upstream /chat/{s}
//	/{s}/v1/responses         OpenAI Responses <- /responses/{s}
//	/{s}/v1/messages          Anthropic        <- /messages/{s}
//	/{s}/ui/chat              UI stream        <- /chat/{s}
//	/{s}/ui/messages          UI stream        <- /messages/{s}
//	/429/v1/chat/completions  the upstream's 429
func newRelay(t *testing.T, up *httptest.Server) *httptest.Server {
	routes := map[string]struct {
		upstream string
		tr       func() relay.Translator
	}{
		"v1/chat/completions": {"chat", openai.Chat},
		"v1/responses":        {"responses", openai.Responses},
		"v1/messages":         {"messages", anthropic.Messages},
		"ui/chat":             {"chat", uistream.FromOpenAIChat},
		"ui/messages":         {"messages", uistream.FromAnthropic},
	}
	client := up.Client()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		scenario, route, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		rt, ok := routes[route]
		if !ok {
			http.NotFound(w, r)
			return
		}
		target := up.URL + "/" + rt.upstream + "/" + scenario
		if scenario == "429" {
			target = up.URL + "/status/429"
		}
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, target, nil)
		relay.Do(c, client, req, rt.tr(), &relay.Options{Stream: &sse.Options{Heartbeat: 2 * time.Millisecond}})
	}))
	t.Cleanup(func() {
		srv.Close()
		client.CloseIdleConnections()
	})
	return srv
}
