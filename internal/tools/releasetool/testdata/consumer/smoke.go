package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// smoke serves one Server-Sent Event the way the README teaches and reads it
// back over a real socket, so that the consumer not only compiles against
// the published modules but runs.
func smoke() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s, err := sse.NewStream(c, nil)
		if err != nil {
			return
		}
		defer s.Close()
		s.Send(&sse.Event{ID: "1", Type: "greeting", Data: "hello"})
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fail(err)
	}
	const want = "id: 1\nevent: greeting\ndata: hello\n\n"
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/event-stream") {
		fail(fmt.Errorf("Content-Type %q, want text/event-stream", got))
	}
	if string(body) != want {
		fail(fmt.Errorf("body %q, want %q", body, want))
	}
	fmt.Println("consumer: streamed an SSE event through the published modules")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "consumer:", err)
	os.Exit(1)
}
