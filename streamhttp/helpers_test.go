package streamhttp_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/streamhttp"
)

// TestStreaming proves each helper streams: the client reads the first
// message before the handler writes the second, on HTTP/1.1 and h2c.
func TestStreaming(t *testing.T) {
	type send func(w http.ResponseWriter, r *http.Request, next <-chan struct{}) // writes "1", waits for next, writes "2"
	helpers := map[string]struct {
		ctype string
		send  send
		first string
	}{
		"SSE": {sse.ContentType, func(w http.ResponseWriter, r *http.Request, next <-chan struct{}) {
			s, err := streamhttp.SSE(w, r, nil)
			if err != nil {
				return
			}
			defer s.Close()
			s.Send(&sse.Event{Data: "1"})
			<-next
			s.Send(&sse.Event{Data: "2"})
		}, "data: 1\n"},
		"NDJSON": {ndjson.ContentType, func(w http.ResponseWriter, r *http.Request, next <-chan struct{}) {
			s, err := streamhttp.NDJSON(w, r, nil)
			if err != nil {
				return
			}
			defer s.Close()
			s.Encode(1)
			<-next
			s.Encode(2)
		}, "1\n"},
		"Chunked": {chunked.DefaultContentType, func(w http.ResponseWriter, r *http.Request, next <-chan struct{}) {
			s, err := streamhttp.Chunked(w, r, nil)
			if err != nil {
				return
			}
			defer s.Close()
			io.WriteString(s, "1\n")
			<-next
			io.WriteString(s, "2\n")
		}, "1\n"},
	}
	for _, proto := range protocols {
		for _, name := range []string{"SSE", "NDJSON", "Chunked"} {
			hp := helpers[name]
			t.Run(proto+"/"+name, func(t *testing.T) {
				next := make(chan struct{})
				mux := http.NewServeMux()
				mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) { hp.send(w, r, next) })
				srv := serve(t, proto, streamhttp.Middleware(nil)(mux))
				resp := srv.get(t, "/stream")
				if ct := resp.Header.Get("Content-Type"); ct != hp.ctype {
					t.Errorf("Content-Type = %q, want %q", ct, hp.ctype)
				}
				br := bufio.NewReader(resp.Body)
				line, err := br.ReadString('\n')
				if err != nil || line != hp.first {
					t.Fatalf("first line = %q, %v; want %q before the second is written", line, err, hp.first)
				}
				close(next)
				rest, _ := io.ReadAll(br)
				if !strings.Contains(string(rest), "2") {
					t.Errorf("rest = %q, want the second message", rest)
				}
			})
		}
	}
}

func TestHubTopic(t *testing.T) {
	h := hub.New(nil)
	t.Cleanup(func() { h.Close() })
	mux := http.NewServeMux()
	mux.Handle("GET /topics/{topic}", streamhttp.HubTopic(h, "topic", &sse.Options{Heartbeat: -1}))
	srv := serve(t, "H2C", streamhttp.Middleware(nil)(mux))
	first, err := h.Publish(context.Background(), "news", hub.Message{Type: "headline", Data: "one"})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ name, path, want string }{
		{"InvalidTopic", "/topics/bad%20name", "invalid topic"},
		{"MalformedQuery", "/topics/news?lastEventId=%zz", "malformed query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := srv.get(t, tc.path)
			if got := body(resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(got, tc.want) {
				t.Errorf("got %d %q, want 400 with %q", resp.StatusCode, got, tc.want)
			}
		})
	}

	t.Run("ResumeThenLive", func(t *testing.T) {
		resp := srv.get(t, "/topics/news?lastEventId="+first)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d", resp.StatusCode)
		}
		r := sse.NewReader(resp.Body, nil)
		id, err := h.Publish(context.Background(), "news", hub.Message{Type: "headline", Data: "two"})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := r.Next()
		if err != nil || ev.Data != "two" || ev.Type != "headline" || ev.ID != id {
			t.Errorf("event = %+v, %v; want headline %q with id %s", ev, err, "two", id)
		}
	})
}
