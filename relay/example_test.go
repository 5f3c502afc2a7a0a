package relay_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/sse"
)

// A handler relaying an OpenAI-compatible upstream's streamed chat
// completion. The upstream's comment is dropped, its usage chunk seen by
// the hook, and its terminator re-sent by the relay.
func ExampleDo() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": PROCESSING\n\n"+
			`data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`+"\n\n"+
			`data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`+"\n\n"+
			"data: [DONE]\n\n")
	}))
	defer upstream.Close()

	handler := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // read the request first
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, upstream.URL, strings.NewReader(`{"stream":true}`))
		err = relay.Do(c, upstream.Client(), req, openai.Chat(), &relay.Options{
			OnEvent: func(ev *sse.RawEvent) {
				if ce, err := openai.ParseChatEvent(string(ev.Data)); err == nil && ce.Chunk != nil && ce.Chunk.Usage != nil {
					fmt.Println("bill", ce.Chunk.Usage.TotalTokens, "tokens")
				}
			},
		})
		fmt.Println("relay error:", err)
	}

	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil))
	fmt.Print(rec.Body.String())
	// Output:
	// bill 3 tokens
	// relay error: <nil>
	// data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}
	//
	// data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}
	//
	// data: [DONE]
}

// An upstream that fails after the 200: the client gets an error event in
// its format, and no [DONE].
func ExampleCopy() {
	body := io.NopCloser(strings.NewReader(
		`data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}` + "\n\n" +
			`data: {"error":{"message":"overloaded","type":"server_error"}}` + "\n\n" +
			"data: [DONE]\n\n"))
	rec := httptest.NewRecorder()
	c, _ := core.NewHTTPConn(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	s, _ := sse.NewStream(c, nil)
	err := relay.Copy(s.Context(), s, body, openai.Chat(), nil)
	s.Close()
	fmt.Println(err)
	fmt.Print(rec.Body.String())
	// Output:
	// relay: upstream error event (server_error): overloaded
	// data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}
	//
	// data: {"error":{"message":"overloaded","type":"server_error","param":null,"code":"server_error"}}
}
