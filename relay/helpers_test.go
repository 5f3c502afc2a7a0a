package relay_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/sse"
)

// upstream is a real model-API stand-in on loopback. It records when each
// request's connection was found closed: the moment its handler's context
// ended.
type upstream struct {
	*httptest.Server
	closed chan time.Time
}

// newUpstream serves h, which streams an answer; the recorded close time is
// taken when r.Context() ends, which h must wait for (see waitClosed).
func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{closed: make(chan time.Time, 16)}
	u.Server = httptest.NewServer(h)
	t.Cleanup(u.Server.Close)
	return u
}

// waitClosed blocks until the client of r goes away, and records when.
func (u *upstream) waitClosed(r *http.Request) {
	<-r.Context().Done()
	u.closed <- time.Now()
}

// startSSE sends the headers of an event stream and returns a function
// that writes raw bytes and flushes.
func startSSE(w http.ResponseWriter) func(s string) error {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	return func(s string) error {
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
		return rc.Flush()
	}
}

// chunk is the SSE event of a chat chunk carrying content.
func chunk(content string) string {
	return fmt.Sprintf("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":null}]}\n\n", content)
}

// relayServer serves a relay of u: each request is relayed with a new
// Translator from tr and opts; the relay's result arrives on the returned
// channel.
func relayServer(t *testing.T, u *upstream, tr func() relay.Translator, opts *relay.Options) (*httptest.Server, chan error) {
	t.Helper()
	results := make(chan error, 16)
	client := u.Client()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// net/http notices a client leaving only once the request body has
		// been read to its end: a relay handler reads it first.
		io.Copy(io.Discard, r.Body)
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			t.Error(err)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, u.URL, strings.NewReader(`{"stream":true}`))
		if err != nil {
			t.Error(err)
			return
		}
		results <- relay.Do(c, client, req, tr(), opts)
	}))
	t.Cleanup(func() {
		srv.Close()
		client.CloseIdleConnections()
	})
	return srv, results
}

// chatRelay is relayServer with the Chat Completions translator.
func chatRelay(t *testing.T, u *upstream, opts *relay.Options) (*httptest.Server, chan error) {
	return relayServer(t, u, openai.Chat, opts)
}

// readAll reads the whole event stream at url and returns its events and
// raw bytes.
func readAll(t *testing.T, url string) (*http.Response, []sse.ParsedEvent, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the relayed stream: %v", err)
	}
	var evs []sse.ParsedEvent
	big := &sse.ReaderOptions{MaxLineLength: 8 << 20, MaxEventSize: 8 << 20}
	for ev, err := range sse.NewReader(strings.NewReader(string(raw)), big).All() {
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return resp, evs, string(raw)
}

// result waits for the relay's result.
func result(t *testing.T, results chan error) error {
	t.Helper()
	select {
	case err := <-results:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the relay did not return within 10s")
		return nil
	}
}

// openStream starts a request to url and returns a reader of its events
// and a function that drops the connection.
func openStream(t *testing.T, url string) (*sse.Reader, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
	tr := &http.Transport{DisableKeepAlives: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var once sync.Once
	drop := func() {
		once.Do(func() {
			cancel()
			resp.Body.Close()
			tr.CloseIdleConnections()
		})
	}
	t.Cleanup(drop)
	return sse.NewReader(bufio.NewReader(resp.Body), nil), drop
}

// newServer starts a real server running h, closed when the test ends.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
