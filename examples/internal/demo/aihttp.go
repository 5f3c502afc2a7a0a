package demo

import (
	"fmt"
	"io"
	"net/http"

	"github.com/streamkit/streamkit/core"
)

// Handler returns the AI routes for net/http and the frameworks built on
// it (gin and echo mount it with their wrappers), with the contract's
// paths:
//
//	POST   /v1/chat/completions       Simulate
//	POST   /ai/v1/chat/completions    RelayChat
//	POST   /api/chat                  Chat
//	GET    /api/chat/{id}/stream      ResumeChat
//	DELETE /api/chat/{id}/stream      StopChat
func (a *AI) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", withBody(a.Simulate))
	mux.HandleFunc("POST /ai/v1/chat/completions", withBody(a.RelayChat))
	mux.HandleFunc("POST /api/chat", withBody(a.Chat))
	mux.HandleFunc("GET /api/chat/{id}/stream", func(w http.ResponseWriter, r *http.Request) {
		if c, ok := httpConn(w, r); ok {
			a.ResumeChat(c, r.PathValue("id"), r.Header.Get("Last-Event-ID"))
		}
	})
	mux.HandleFunc("DELETE /api/chat/{id}/stream", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(a.StopChat(r.PathValue("id")))
	})
	return mux
}

// ReadBody reads a request body of at most MaxChatBody bytes, to its end:
// net/http notices a client that leaves only once it has.
func ReadBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxChatBody+1))
	if err == nil && len(b) > MaxChatBody {
		return nil, fmt.Errorf("the body is limited to %d bytes", MaxChatBody)
	}
	return b, err
}

func withBody(h func(core.Conn, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := ReadBody(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		if c, ok := httpConn(w, r); ok {
			h(c, body)
		}
	}
}

func httpConn(w http.ResponseWriter, r *http.Request) (*core.HTTPConn, bool) {
	c, err := core.NewHTTPConn(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, false
	}
	return c, true
}
