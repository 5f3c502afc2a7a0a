package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/relay/uistream"
	"github.com/streamkit/streamkit/sse"
)

// UpstreamKeyEnv is the environment variable holding the upstream's API
// key. The key is never taken from a flag, and never logged.
const UpstreamKeyEnv = "STREAMKIT_UPSTREAM_KEY"

// DefaultSimDelay is the simulated model's default time per token.
const DefaultSimDelay = 30 * time.Millisecond

// MaxChatBody bounds the request body of the AI routes.
const MaxChatBody = 1 << 20

// AIFlags are the AI routes' flags: -upstream and -sim-delay.
type AIFlags struct {
	// Upstream is the base URL of an OpenAI-compatible API
	// ("https://host/v1"); "" means this server's own simulated model.
	Upstream string
	// SimDelay is the simulated model's time per token.
	SimDelay time.Duration
}

// RegisterAIFlags registers -upstream and -sim-delay on fs.
func RegisterAIFlags(fs *flag.FlagSet) *AIFlags {
	f := &AIFlags{}
	fs.StringVar(&f.Upstream, "upstream", "", "base URL of an OpenAI-compatible API for the AI routes (key from $"+UpstreamKeyEnv+"); empty uses the built-in simulated model")
	fs.DurationVar(&f.SimDelay, "sim-delay", DefaultSimDelay, "the simulated model's time per token")
	return f
}

// AI serves the AI routes of the demo contract, whatever the framework:
// each method takes the request's core.Conn and what the framework parsed.
// Create it with [NewAI]; its methods are safe for concurrent use.
type AI struct {
	flags   AIFlags
	key     string
	client  *http.Client
	gens    *relay.Generations
	stream  *sse.Options
	mu      sync.Mutex
	selfURL string
}

// NewAI returns the AI routes' handlers, running generations on h. Call
// [AI.Listening] once the server listens, and [AI.Close] on shutdown.
func NewAI(flags *AIFlags, h *hub.Hub, stream *sse.Options) *AI {
	f := AIFlags{SimDelay: DefaultSimDelay}
	if flags != nil {
		f = *flags
	}
	return &AI{
		flags:  f,
		key:    os.Getenv(UpstreamKeyEnv),
		client: &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16}},
		gens:   relay.NewGenerations(h, nil),
		stream: stream,
	}
}

// Listening tells the AI routes where this server listens, which is the
// upstream when no -upstream was given.
func (a *AI) Listening(addr net.Addr) {
	a.mu.Lock()
	a.selfURL = "http://" + addr.String() + "/v1"
	a.mu.Unlock()
}

// Close stops the running generations.
func (a *AI) Close() {
	a.gens.Close()
	a.client.CloseIdleConnections()
}

func (a *AI) upstream() string {
	if a.flags.Upstream != "" {
		return strings.TrimSuffix(a.flags.Upstream, "/")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.selfURL
}

// plainError answers with status and a plain-text reason, before any
// stream.
func plainError(c core.Conn, status int, msg string) {
	c.SetHeader("Content-Type", "text/plain; charset=utf-8")
	if c.Start(status) == nil {
		c.Write([]byte(msg + "\n"))
		c.Flush()
	}
}

// chatRequest is the part of a chat completion request the simulated
// model reads.
type chatRequest struct {
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

// lastUserText returns the text of the request's last user message.
func (r *chatRequest) lastUserText() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		m := r.Messages[i]
		if m.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			return s
		}
		var parts []struct{ Text string }
		if json.Unmarshal(m.Content, &parts) == nil {
			var b strings.Builder
			for _, p := range parts {
				b.WriteString(p.Text)
			}
			return b.String()
		}
	}
	return ""
}

// SimTokens returns the simulated model's answer to prompt, token by token:
// always the same tokens for the same prompt.
func SimTokens(prompt string) []string {
	if len(prompt) > 200 {
		prompt = prompt[:200]
	}
	text := fmt.Sprintf("Hello from the streamkit simulated model. You said: %q. Each word you read arrived as its own event.", prompt)
	var toks []string
	for w := range strings.FieldsSeq(text) {
		toks = append(toks, w+" ")
	}
	return toks
}

// Simulate serves POST /v1/chat/completions: the built-in simulated model,
// an OpenAI-compatible streaming chat completion of SimTokens, one token
// per -sim-delay, with the usage chunk when stream_options.include_usage
// asks for it. A request without "stream": true gets 400.
func (a *AI) Simulate(c core.Conn, body []byte) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		plainError(c, http.StatusBadRequest, "the body is not a chat completion request: "+err.Error())
		return
	}
	if !req.Stream {
		plainError(c, http.StatusBadRequest, `the simulated model only streams: send "stream": true`)
		return
	}
	s, err := sse.NewStream(c, a.stream)
	if err != nil {
		return
	}
	defer s.Close()
	toks := SimTokens(req.lastUserText())
	const id = "chatcmpl-sim"
	chunk := func(delta openai.Delta, finish *string) *openai.ChatChunk {
		return &openai.ChatChunk{ID: id, Object: openai.ChunkObject, Created: 1700000000, Model: "streamkit-sim",
			Choices: []openai.ChunkChoice{{Delta: delta, FinishReason: finish}}}
	}
	empty := ""
	if openai.SendChunk(s, chunk(openai.Delta{Role: "assistant", Content: &empty}, nil)) != nil {
		return
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for _, tok := range toks {
		select {
		case <-t.C:
		case <-s.Context().Done():
			return
		}
		t.Reset(a.flags.SimDelay)
		if openai.SendChunk(s, chunk(openai.Delta{Content: &tok}, nil)) != nil {
			return
		}
	}
	stop := "stop"
	if openai.SendChunk(s, chunk(openai.Delta{}, &stop)) != nil {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		u := &openai.ChatChunk{ID: id, Object: openai.ChunkObject, Created: 1700000000, Model: "streamkit-sim",
			Choices: []openai.ChunkChoice{}, Usage: &openai.Usage{PromptTokens: len(req.Messages), CompletionTokens: len(toks), TotalTokens: len(req.Messages) + len(toks)}}
		if openai.SendChunk(s, u) != nil {
			return
		}
	}
	openai.SendDone(s)
}

// upstreamRequest builds a streaming chat completion request to the
// upstream with body.
func (a *AI) upstreamRequest(ctx context.Context, body []byte) (*http.Request, error) {
	base := a.upstream()
	if base == "" {
		return nil, errors.New("demo: the server does not know its address yet")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if a.key != "" {
		req.Header.Set("Authorization", "Bearer "+a.key)
	}
	return req, nil
}

// RelayChat serves POST /ai/v1/chat/completions: the request goes to the
// upstream as it is, and its streamed answer comes back re-framed by
// streamkit, so the OpenAI SDKs work with baseURL http://host/ai/v1.
// The body must be read in full by the caller (see package relay).
func (a *AI) RelayChat(c core.Conn, body []byte) {
	var probe chatRequest
	if err := json.Unmarshal(body, &probe); err != nil || !probe.Stream {
		plainError(c, http.StatusBadRequest, `send a chat completion request with "stream": true`)
		return
	}
	req, err := a.upstreamRequest(c.Context(), body)
	if err != nil {
		plainError(c, http.StatusServiceUnavailable, err.Error())
		return
	}
	relay.Do(c, a.client, req, openai.Chat(), &relay.Options{Stream: a.stream})
}

// uiChatRequest is the body the AI SDK's useChat sends.
type uiChatRequest struct {
	ID       string `json:"id"`
	Messages []struct {
		Role  string `json:"role"`
		Parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"messages"`
}

// Chat serves POST /api/chat: it starts a resumable generation of the
// upstream's answer to useChat's messages, under the chat's id, and
// streams it as a UI message stream from its start.
func (a *AI) Chat(c core.Conn, body []byte) {
	var req uiChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		plainError(c, http.StatusBadRequest, "the body is not a useChat request: "+err.Error())
		return
	}
	if !relay.ValidKey(req.ID) {
		plainError(c, http.StatusBadRequest, "the chat id must be 1 to 40 letters, digits, '-' or '_'")
		return
	}
	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	up := struct {
		Model    string `json:"model"`
		Stream   bool   `json:"stream"`
		Messages []msg  `json:"messages"`
	}{Model: "streamkit-sim", Stream: true}
	for _, m := range req.Messages {
		var b strings.Builder
		for _, p := range m.Parts {
			if p.Type == "text" {
				b.WriteString(p.Text)
			}
		}
		if m.Role == "user" || m.Role == "assistant" || m.Role == "system" {
			up.Messages = append(up.Messages, msg{m.Role, b.String()})
		}
	}
	upBody, _ := json.Marshal(up)
	tr := uistream.FromOpenAIChat()
	gen, err := a.gens.Start(req.ID, func(ctx context.Context) (*http.Response, error) {
		r, err := a.upstreamRequest(ctx, upBody)
		if err != nil {
			return nil, err
		}
		return a.client.Do(r)
	}, tr)
	if err != nil {
		relay.WriteError(c, tr, err)
		return
	}
	gen.ServeConn(c, "", a.stream)
}

// ResumeChat serves GET /api/chat/{id}/stream, the AI SDK's reconnect: the
// chat's active generation from its start, or after lastEventID (the
// Last-Event-ID header) for a client that kept it; 204 when there is
// nothing to resume.
func (a *AI) ResumeChat(c core.Conn, id, lastEventID string) {
	if !relay.ValidKey(id) {
		plainError(c, http.StatusBadRequest, "the chat id must be 1 to 40 letters, digits, '-' or '_'")
		return
	}
	a.gens.Resume(c, id, lastEventID, a.stream)
}

// StopChat serves DELETE /api/chat/{id}/stream: it stops the chat's
// running generation and returns the status to answer, 204, or 404 when
// none runs (400 for an invalid id).
func (a *AI) StopChat(id string) int {
	if !relay.ValidKey(id) {
		return http.StatusBadRequest
	}
	if a.gens.Stop(id) {
		return http.StatusNoContent
	}
	return http.StatusNotFound
}
