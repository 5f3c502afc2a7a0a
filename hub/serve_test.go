package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/sse"
)

// sseServer serves GET /sse/topics/{topic} from h, the way an application
// does, and reports each ServeSSE result on the returned channel.
type sseServer struct {
	*httptest.Server
	client  *http.Client
	results chan error
}

func newSSEServer(t *testing.T, h *hub.Hub, opts *sse.Options, http2 bool) *sseServer {
	s := &sseServer{results: make(chan error, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sse/topics/{topic}", func(w http.ResponseWriter, r *http.Request) {
		last, err := sse.LastEventID(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sub, err := h.Subscribe(r.Context(), r.PathValue("topic"), last)
		switch {
		case errors.Is(err, hub.ErrInvalidTopic):
			http.Error(w, "invalid topic name", http.StatusBadRequest)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			s.results <- err
			return
		}
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			sub.Close()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		st, err := sse.NewStream(c, opts)
		if err != nil {
			sub.Close()
			return
		}
		s.results <- h.ServeSSE(st, sub)
	})
	if http2 {
		s.Server = httptest.NewUnstartedServer(mux)
		s.EnableHTTP2 = true
		s.StartTLS()
	} else {
		s.Server = httptest.NewServer(mux)
	}
	s.client = s.Client()
	t.Cleanup(func() {
		s.client.CloseIdleConnections()
		s.Close()
	})
	return s
}

// open connects to a topic and returns a parser of the stream; the
// connection ends with the test or when stop is called.
func (s *sseServer) open(t *testing.T, path, lastEventID string) (r *sse.Reader, resp *http.Response, stop func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			resp.Body.Close()
		})
	}
	t.Cleanup(stop)
	return sse.NewReader(resp.Body, nil), resp, stop
}

func (s *sseServer) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.results:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("ServeSSE did not return")
		return nil
	}
}

func readEvent(t *testing.T, r *sse.Reader) sse.ParsedEvent {
	t.Helper()
	ev, err := r.Next()
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	return ev
}

func expectSSE(t *testing.T, r *sse.Reader, id, typ, data string) {
	t.Helper()
	ev := readEvent(t, r)
	if ev.ID != id || ev.Type != typ || ev.Data != data {
		t.Fatalf("event = %+v; want id %q, type %q, data %q", ev, id, typ, data)
	}
}

func expectSSEResync(t *testing.T, r *sse.Reader, reason hub.Reason, lastID string) {
	t.Helper()
	ev := readEvent(t, r)
	var d resyncData
	if ev.Type != "resync" || json.Unmarshal([]byte(ev.Data), &d) != nil ||
		d.Reason != string(reason) || d.LastID != lastID || ev.ID != lastID {
		t.Fatalf("event = %+v; want a resync with reason %q and last_id %q", ev, reason, lastID)
	}
}

func TestServeSSE(t *testing.T) {
	for _, proto := range []struct {
		name  string
		http2 bool
	}{{"HTTP/1.1", false}, {"HTTP/2", true}} {
		t.Run(proto.name, func(t *testing.T) {
			h := newHub(t, nil)
			srv := newSSEServer(t, h, nil, proto.http2)
			ids := hubtest.PublishN(t, h, "chat", 1, 3)
			r, resp, stop := srv.open(t, "/sse/topics/chat", ids[0])
			if ct := resp.Header.Get("Content-Type"); ct != sse.ContentType {
				t.Errorf("Content-Type = %q; want %q", ct, sse.ContentType)
			}
			expectSSE(t, r, ids[1], "note", "e2")
			expectSSE(t, r, ids[2], "note", "e3")
			// Live, one at a time: each arrives before the next is
			// published.
			for i := 4; i <= 6; i++ {
				id := hubtest.Publish(t, h, "chat", "multi\nline")
				expectSSE(t, r, id, "note", "multi\nline")
			}
			stop()
			if err := srv.result(t); err != nil {
				t.Errorf("ServeSSE after the client left = %v; want nil", err)
			}
		})
	}
}

func TestServeSSEResync(t *testing.T) {
	h := newHub(t, nil)
	srv := newSSEServer(t, h, nil, false)
	ids := hubtest.PublishN(t, h, "t", 1, 2)
	r, _, stop := srv.open(t, "/sse/topics/t", "not-an-id")
	expectSSEResync(t, r, hub.ReasonMalformed, ids[1])
	id := hubtest.Publish(t, h, "t", "live")
	expectSSE(t, r, id, "note", "live")
	stop()
	srv.result(t)
}

func TestServeSSEQueryLastEventID(t *testing.T) {
	h := newHub(t, nil)
	srv := newSSEServer(t, h, nil, false)
	ids := hubtest.PublishN(t, h, "t", 1, 2)
	r, _, stop := srv.open(t, "/sse/topics/t?lastEventId="+url.QueryEscape(ids[0]), "")
	expectSSE(t, r, ids[1], "note", "e2")
	stop()
	srv.result(t)
}

func TestServeSSEInvalidTopic(t *testing.T) {
	h := newHub(t, nil)
	srv := newSSEServer(t, h, nil, false)
	_, resp, stop := srv.open(t, "/sse/topics/"+url.PathEscape("a b"), "")
	defer stop()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d; want 400", resp.StatusCode)
	}
}

func TestServeSSEHubClose(t *testing.T) {
	h := hub.New(nil)
	srv := newSSEServer(t, h, nil, false)
	ids := hubtest.PublishN(t, h, "t", 1, 2)
	r, _, _ := srv.open(t, "/sse/topics/t", ids[0])
	expectSSE(t, r, ids[1], "note", "e2")
	h.Close()
	if ev, err := r.Next(); err != io.EOF {
		t.Errorf("after Hub.Close the client read %+v, %v; want the end of the stream", ev, err)
	}
	if err := srv.result(t); err != nil {
		t.Errorf("ServeSSE after Hub.Close = %v; want nil", err)
	}
}

func TestServeSSEShutdown(t *testing.T) {
	var reg core.Registry
	h := newHub(t, &hub.Options{Registry: &reg})
	srv := newSSEServer(t, h, &sse.Options{Registry: &reg}, false)
	ids := hubtest.PublishN(t, h, "t", 1, 2)
	r, _, _ := srv.open(t, "/sse/topics/t", ids[0])
	expectSSE(t, r, ids[1], "note", "e2")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := reg.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The farewell is a comment and a retry hint: no event, then the end.
	if ev, err := r.Next(); err != io.EOF {
		t.Errorf("after shutdown the client read %+v, %v; want the end of the stream", ev, err)
	}
	if d, ok := r.Retry(); !ok || d <= 0 {
		t.Errorf("retry hint = %v, %v; want one from the farewell", d, ok)
	}
	if err := srv.result(t); err != nil {
		t.Errorf("ServeSSE after shutdown = %v; want nil", err)
	}
}

// holdBackend holds the first Read until released, so that a subscriber's
// handler is busy while events are published.
type holdBackend struct {
	*hub.MemoryBackend
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *holdBackend) Read(ctx context.Context, topic string, after hub.Position, limit int) (hub.Batch, error) {
	held := false
	b.once.Do(func() { held = true })
	if held {
		close(b.entered)
		select {
		case <-b.release:
		case <-ctx.Done():
			return hub.Batch{}, ctx.Err()
		}
	}
	return b.MemoryBackend.Read(ctx, topic, after, limit)
}

func TestServeSSESlowDisconnect(t *testing.T) {
	var reg core.Registry
	b := &holdBackend{
		MemoryBackend: hub.NewMemoryBackend(nil),
		entered:       make(chan struct{}),
		release:       make(chan struct{}),
	}
	defer b.Close()
	h := newHub(t, &hub.Options{Backend: b, QueueSize: 2, Policy: hub.Disconnect, Registry: &reg})
	srv := newSSEServer(t, h, &sse.Options{Registry: &reg}, false)
	ids := hubtest.PublishN(t, h, "t", 1, 2)
	r, _, _ := srv.open(t, "/sse/topics/t", ids[0])
	select {
	case <-b.entered: // the handler is subscribed and busy reading the history
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never read the history")
	}
	ids = append(ids, hubtest.PublishN(t, h, "t", 3, 6)...)
	close(b.release)

	// It gets the history it was reading, then the hint, then the end.
	for i := 2; i <= 6; i++ {
		expectSSE(t, r, ids[i-1], "note", fmt.Sprintf("e%d", i))
	}
	expectSSEResync(t, r, hub.ReasonSlow, ids[5])
	if ev, err := r.Next(); err != io.EOF {
		t.Errorf("after the hint the client read %+v, %v; want the end of the stream", ev, err)
	}
	if err := srv.result(t); !errors.Is(err, hub.ErrSlowSubscriber) {
		t.Errorf("ServeSSE = %v; want ErrSlowSubscriber", err)
	}
	if st := reg.Stats(); st.SlowDisconnects != 1 {
		t.Errorf("slow disconnects = %d; want 1", st.SlowDisconnects)
	}
}

func TestServeSSESubscribeError(t *testing.T) {
	h := hub.New(nil)
	h.Close()
	srv := newSSEServer(t, h, nil, false)
	r, _, _ := srv.open(t, "/sse/topics/t", "")
	if ev, err := r.Next(); err != io.EOF {
		t.Errorf("client read %+v, %v; want the end of the stream", ev, err)
	}
	if err := srv.result(t); !errors.Is(err, hub.ErrClosed) {
		t.Errorf("ServeSSE on a closed hub = %v; want ErrClosed", err)
	}
}

// An event published the moment the client sees the stream open (as a page
// does when its EventSource fires "open") reaches that client.
func TestServeSSENoEventMissedAfterOpen(t *testing.T) {
	h := newHub(t, nil)
	srv := newSSEServer(t, h, nil, false)
	for i := range 20 {
		r, _, stop := srv.open(t, "/sse/topics/race", "")
		want := fmt.Sprintf(`{"i":%d}`, i)
		if _, err := h.Publish(context.Background(), "race", hub.Message{Type: "m", Data: want}); err != nil {
			t.Fatal(err)
		}
		if ev := readEvent(t, r); ev.Data != want {
			t.Fatalf("round %d: first event %q, want the one published at open, %q", i, ev.Data, want)
		}
		stop()
		srv.result(t)
	}
}
