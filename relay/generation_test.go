package relay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/uistream"
	"github.com/streamkit/streamkit/sse"
)

// genServer serves generations of the upstream u: POST /chat/{id} starts
// one and streams it from its start; GET /chat/{id}/stream resumes after
// the Last-Event-ID header; DELETE /chat/{id}/stream stops it.
func genServer(t *testing.T, u *upstream) (*relay.Generations, string) {
	t.Helper()
	h := hub.New(nil)
	gens := relay.NewGenerations(h, &relay.GenerationOptions{Keep: time.Minute})
	client := u.Client()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chat/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		c, _ := core.NewHTTPConn(w, r)
		tr := uistream.FromOpenAIChat()
		gen, err := gens.Start(r.PathValue("id"), func(ctx context.Context) (*http.Response, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.URL, nil)
			return client.Do(req)
		}, tr)
		if err != nil {
			relay.WriteError(c, tr, err)
			return
		}
		gen.ServeConn(c, "", nil)
	})
	mux.HandleFunc("GET /chat/{id}/stream", func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		gens.Resume(c, r.PathValue("id"), r.Header.Get("Last-Event-ID"), nil)
	})
	mux.HandleFunc("DELETE /chat/{id}/stream", func(w http.ResponseWriter, r *http.Request) {
		if !gens.Stop(r.PathValue("id")) {
			w.WriteHeader(http.StatusNotFound)
		}
	})
	srv := newServer(t, mux.ServeHTTP)
	t.Cleanup(func() {
		srv.Close()
		gens.Close()
		h.Close()
		client.CloseIdleConnections()
	})
	return gens, srv.URL
}

// words upstream: n chat chunks "w1 ".."wn ", each released by a value on
// step (nil: all at once), then [DONE].
func wordsUpstream(t *testing.T, n int, step chan struct{}) *upstream {
	var u *upstream
	u = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		for i := 1; i <= n; i++ {
			if step != nil {
				select {
				case <-step:
				case <-r.Context().Done():
					u.closed <- time.Now()
					return
				}
			}
			send(chunk(fmt.Sprintf("w%d ", i)))
		}
		send("data: [DONE]\n\n")
	})
	return u
}

// request opens method url with an optional Last-Event-ID.
func request(t *testing.T, method, url, lastID string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func allEvents(t *testing.T, resp *http.Response) []sse.ParsedEvent {
	t.Helper()
	var evs []sse.ParsedEvent
	for ev, err := range sse.NewReader(resp.Body, nil).All() {
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestGenerationResumesWithoutGapOrDuplicate(t *testing.T) {
	step := make(chan struct{})
	u := wordsUpstream(t, 6, step)
	gens, url := genServer(t, u)

	// The first client reads the start and two words, then leaves.
	resp := request(t, http.MethodPost, url+"/chat/c1", "")
	if resp.Header.Get(uistream.Header) != uistream.Version {
		t.Errorf("missing the UI message stream header: %v", resp.Header)
	}
	rd := sse.NewReader(resp.Body, nil)
	var first []sse.ParsedEvent
	for _, n := range []int{3, 1} { // start, text-start, w1; then w2
		step <- struct{}{}
		for range n {
			ev, err := rd.Next()
			if err != nil {
				t.Fatal(err)
			}
			first = append(first, ev)
		}
	}
	resp.Body.Close()

	// The answer goes on without any client.
	for range 4 {
		step <- struct{}{}
	}
	gen, ok := gens.Get("c1")
	if !ok {
		t.Fatal("no generation")
	}
	select {
	case <-gen.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the generation did not finish without its client")
	}
	if err := gen.Err(); err != nil {
		t.Fatalf("generation: %v", err)
	}

	// The client comes back with its last ID and gets exactly the rest.
	rest := allEvents(t, request(t, http.MethodGet, url+"/chat/c1/stream", first[len(first)-1].ID))
	var text strings.Builder
	for _, ev := range append(first, rest...) {
		if ev.Data == "[DONE]" {
			continue
		}
		p, err := uistream.ParsePart(ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(p.Delta)
	}
	if got, want := text.String(), "w1 w2 w3 w4 w5 w6 "; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if last := rest[len(rest)-1].Data; last != "[DONE]" {
		t.Errorf("last event %q, want [DONE]", last)
	}

	// The AI SDK's reconnect (no Last-Event-ID) to a finished generation
	// gets 204, and so does an unknown chat.
	for _, path := range []string{"/chat/c1/stream", "/chat/nope/stream"} {
		if resp := request(t, http.MethodGet, url+path, ""); resp.StatusCode != http.StatusNoContent {
			t.Errorf("GET %s: status %d, want 204", path, resp.StatusCode)
		}
	}
}

func TestGenerationReplayFromStartWhileRunning(t *testing.T) {
	step := make(chan struct{})
	u := wordsUpstream(t, 3, step)
	_, url := genServer(t, u)
	resp := request(t, http.MethodPost, url+"/chat/c2", "")
	rd := sse.NewReader(resp.Body, nil)
	step <- struct{}{}
	for range 3 { // start, text-start, w1
		if _, err := rd.Next(); err != nil {
			t.Fatal(err)
		}
	}
	// A second tab reconnects the AI SDK's way: the whole answer so far,
	// then the rest live.
	again := request(t, http.MethodGet, url+"/chat/c2/stream", "")
	if again.StatusCode != http.StatusOK {
		t.Fatalf("status %d", again.StatusCode)
	}
	step <- struct{}{}
	step <- struct{}{}
	evs := allEvents(t, again)
	var types []string
	for _, ev := range evs {
		p, _ := uistream.ParsePart(ev.Data)
		types = append(types, p.Type)
	}
	want := "start text-start text-delta text-delta text-delta text-end finish "
	if got := strings.Join(types, " "); got != want {
		t.Errorf("replayed %q, want %q", got, want)
	}
}

func TestGenerationStop(t *testing.T) {
	step := make(chan struct{})
	u := wordsUpstream(t, 100, step)
	gens, url := genServer(t, u)
	resp := request(t, http.MethodPost, url+"/chat/c3", "")
	rd := sse.NewReader(resp.Body, nil)
	step <- struct{}{}
	for range 3 {
		if _, err := rd.Next(); err != nil {
			t.Fatal(err)
		}
	}
	stopped := time.Now()
	if resp := request(t, http.MethodDelete, url+"/chat/c3/stream", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: status %d", resp.StatusCode)
	}
	select {
	case at := <-u.closed:
		t.Logf("upstream closed %v after the stop", at.Sub(stopped))
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream was not cancelled by the stop")
	}
	var last string
	for ev, err := range rd.All() {
		if err != nil {
			t.Fatal(err)
		}
		last = ev.Data
	}
	if last != `{"type":"abort"}` {
		t.Errorf("last event %q, want the abort part", last)
	}
	gen, _ := gens.Get("c3")
	<-gen.Done()
	if !errors.Is(gen.Err(), relay.ErrStopped) {
		t.Errorf("generation error %v, want ErrStopped", gen.Err())
	}
	if resp := request(t, http.MethodDelete, url+"/chat/c3/stream", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: status %d, want 404", resp.StatusCode)
	}
}

func TestGenerationUpstreamRefused(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"slow down"}}`, http.StatusTooManyRequests)
	})
	gens, url := genServer(t, u)
	resp := request(t, http.MethodPost, url+"/chat/c4", "")
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "slow down") {
		t.Errorf("got %d %q, want 429 with the upstream's message", resp.StatusCode, b)
	}
	if _, ok := gens.Get("c4"); ok {
		t.Error("a refused generation was recorded")
	}
}
