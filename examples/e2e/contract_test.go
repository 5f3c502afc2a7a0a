package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/sse"
)

// TestContract checks every route of the demo-app contract against every
// example server. Servers run two at a time; each server's checks run in
// order, ending with a graceful shutdown.
func TestContract(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, tg)
			for _, c := range checks {
				t.Run(c.name, func(t *testing.T) { c.fn(t, s) })
			}
		})
	}
}

var checks = []struct {
	name string
	fn   func(*testing.T, *server)
}{
	{"healthz", checkHealthz},
	{"page", checkPage},
	{"not-found", checkNotFound},
	{"sse-ticks-incremental", checkTicksIncremental},
	{"sse-ticks-defaults", checkTicksDefaults},
	{"sse-ticks-resume", checkTicksResume},
	{"sse-ticks-no-content", checkTicksNoContent},
	{"sse-echo-roundtrip", checkEchoRoundTrip},
	{"sse-echo-unsendable", checkEchoUnsendable},
	{"bad-parameters", checkBadParameters},
	{"topics-fan-out", checkFanOut},
	{"topics-history", checkHistory},
	{"topics-resync", checkResync},
	{"topics-heartbeat", checkHeartbeat},
	{"topics-publish-limit", checkPublishLimit},
	{"ndjson-ticks", checkNDJSON},
	{"chunked-download", checkDownload},
	{"upload", checkUpload},
	{"upload-limit", checkUploadLimit},
	{"upload-progress", checkUploadProgress},
	{"http10-stream", checkHTTP10},
	{"stats", checkStats},
	{"query-malformed", checkMalformedQuery},
	{"header-limit", checkHeaderLimit},
	{"publish-idempotent", checkIdempotentPublish},
	{"upload-refused-early", checkUploadRefusedEarly},
	{"graceful-shutdown", checkShutdown}, // last: it stops the server
}

func checkHealthz(t *testing.T, s *server) {
	resp := s.get(t, "/healthz")
	if got := text(t, resp); resp.StatusCode != 200 || strings.TrimSpace(got) != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\"", resp.StatusCode, got)
	}
}

func checkPage(t *testing.T, s *server) {
	resp := s.get(t, "/")
	body := text(t, resp)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q, want 200 text/html", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<!doctype html>", "EventSource", "/sse/ticks", "/ndjson/ticks", "/upload", "/stats"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not contain %q", want)
		}
	}
}

func checkNotFound(t *testing.T, s *server) {
	for _, path := range []string{"/nope", "/sse", "/sse/nope", "/sse/topics", "/ndjson/nope", "/chunked/nope", "/index.html"} {
		resp := s.get(t, path)
		text(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

// readAll parses a whole event stream, closes it, and returns its events
// and comments.
func readAll(t *testing.T, resp *http.Response, lastID string) ([]sse.ParsedEvent, []string) {
	t.Helper()
	defer resp.Body.Close()
	var comments []string
	r := sse.NewReader(resp.Body, &sse.ReaderOptions{
		LastEventID:   lastID,
		MaxLineLength: 4 << 20,
		OnComment:     func(c string) { comments = append(comments, c) },
	})
	var events []sse.ParsedEvent
	for {
		e, err := r.Next()
		if err == io.EOF {
			return events, comments
		}
		if err != nil {
			t.Fatalf("reading the event stream after %d events: %v", len(events), err)
		}
		events = append(events, e)
	}
}

func wantSSE(t *testing.T, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		body := text(t, resp)
		t.Fatalf("status %d (%q), want 200", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type %q, want text/event-stream", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	if resp.ContentLength != -1 {
		t.Errorf("Content-Length %d on a stream, want none", resp.ContentLength)
	}
}

// wantTicks checks that events are ticks first..last in order.
func wantTicks(t *testing.T, events []sse.ParsedEvent, first, last int) {
	t.Helper()
	if len(events) != last-first+1 {
		t.Fatalf("got %d events, want ticks %d..%d", len(events), first, last)
	}
	for i, e := range events {
		n := first + i
		if e.ID != strconv.Itoa(n) || e.Type != "tick" || e.Data != fmt.Sprintf(`{"n":%d}`, n) || !e.IDSet {
			t.Fatalf("event %d = %+v, want id %d, event tick, data {\"n\":%d}", i, e, n, n)
		}
	}
}

// checkTicksIncremental proves that event 1 reaches the client while the
// server is still waiting to send event 2: it arrives long before the end
// of a stream whose events are 200ms apart.
func checkTicksIncremental(t *testing.T, s *server) {
	start := time.Now()
	resp := s.get(t, "/sse/ticks?count=3&interval=200ms")
	wantSSE(t, resp)
	defer resp.Body.Close()
	r := sse.NewReader(resp.Body, nil)
	var events []sse.ParsedEvent
	var first time.Duration
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			first = time.Since(start)
		}
		events = append(events, e)
	}
	end := time.Since(start)
	wantTicks(t, events, 1, 3)
	if end-first < 300*time.Millisecond {
		t.Errorf("event 1 arrived at %v and the stream ended at %v: event 1 was held back until the later ones were sent", first, end)
	}
}

func checkTicksDefaults(t *testing.T, s *server) {
	resp := s.get(t, "/sse/ticks?interval=0")
	wantSSE(t, resp)
	events, _ := readAll(t, resp, "")
	wantTicks(t, events, 1, 10)

	resp = s.get(t, "/sse/ticks?count=2000&interval=0")
	wantSSE(t, resp)
	events, _ = readAll(t, resp, "")
	wantTicks(t, events, 1, 2000)
}

func checkTicksResume(t *testing.T, s *server) {
	cases := []struct {
		name        string
		path        string
		header      []string
		first, last int
	}{
		{"header", "/sse/ticks?count=6&interval=0", []string{"Last-Event-ID", "2"}, 3, 6},
		{"query", "/sse/ticks?count=6&interval=0&lastEventId=4", nil, 5, 6},
		{"header wins over query", "/sse/ticks?count=6&interval=0&lastEventId=1", []string{"Last-Event-ID", "5"}, 6, 6},
		{"zero", "/sse/ticks?count=3&interval=0", []string{"Last-Event-ID", "0"}, 1, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := s.get(t, c.path, c.header...)
			wantSSE(t, resp)
			events, _ := readAll(t, resp, "")
			wantTicks(t, events, c.first, c.last)
		})
	}

	// A client that drops the connection half way and comes back with the
	// last ID it saw gets everything once.
	t.Run("reconnect", func(t *testing.T) {
		resp := s.get(t, "/sse/ticks?count=8&interval=20ms")
		wantSSE(t, resp)
		r := sse.NewReader(resp.Body, nil)
		var events []sse.ParsedEvent
		for range 3 {
			e, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		resp.Body.Close()
		resp = s.get(t, "/sse/ticks?count=8&interval=20ms", "Last-Event-ID", r.LastEventID())
		wantSSE(t, resp)
		more, _ := readAll(t, resp, r.LastEventID())
		wantTicks(t, append(events, more...), 1, 8)
	})
}

func checkTicksNoContent(t *testing.T, s *server) {
	cases := []struct {
		name   string
		path   string
		header []string
	}{
		{"header equal", "/sse/ticks?count=5", []string{"Last-Event-ID", "5"}},
		{"header past", "/sse/ticks?count=5", []string{"Last-Event-ID", "7"}},
		{"query", "/sse/ticks?count=5&lastEventId=5", nil},
		{"huge", "/sse/ticks?count=5", []string{"Last-Event-ID", "99999999999999999999999"}},
		{"count zero", "/sse/ticks?count=0", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := s.get(t, c.path, c.header...)
			body := text(t, resp)
			if resp.StatusCode != http.StatusNoContent || body != "" {
				t.Errorf("status %d body %q, want 204 and no body", resp.StatusCode, body)
			}
		})
	}
}

// echoQuery builds the query of /sse/echo from name/value pairs, keeping
// their order.
func echoQuery(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[i+1]))
	}
	return "/sse/echo?" + b.String()
}

func checkEchoRoundTrip(t *testing.T, s *server) {
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	cases := []struct {
		name    string
		query   []string
		want    sse.ParsedEvent
		comment []string
		post    bool // send the fields as a form body: too large for a query
	}{
		{"nothing", nil, sse.ParsedEvent{Type: "message"}, nil, false},
		{"empty data", []string{"data", ""}, sse.ParsedEvent{Type: "message"}, nil, false},
		{"plain", []string{"data", "hello"}, sse.ParsedEvent{Type: "message", Data: "hello"}, nil, false},
		{"LF", []string{"data", "a\nb"}, sse.ParsedEvent{Type: "message", Data: "a\nb"}, nil, false},
		{"CR", []string{"data", "a\rb"}, sse.ParsedEvent{Type: "message", Data: "a\nb"}, nil, false},
		{"CRLF", []string{"data", "a\r\nb"}, sse.ParsedEvent{Type: "message", Data: "a\nb"}, nil, false},
		{"mixed breaks", []string{"data", "\r\n\n\rx\r"}, sse.ParsedEvent{Type: "message", Data: "\n\n\nx\n"}, nil, false},
		{"leading spaces", []string{"data", "  two spaces\n one"}, sse.ParsedEvent{Type: "message", Data: "  two spaces\n one"}, nil, false},
		{"colons", []string{"data", ":a:b: c\ndata: x"}, sse.ParsedEvent{Type: "message", Data: ":a:b: c\ndata: x"}, nil, false},
		{"unicode", []string{"data", "héllo wörld ✓ 日本語 🎉"}, sse.ParsedEvent{Type: "message", Data: "héllo wörld ✓ 日本語 🎉"}, nil, false},
		{"NUL in data", []string{"data", "a\x00b"}, sse.ParsedEvent{Type: "message", Data: "a\x00b"}, nil, false},
		{"1 MiB", []string{"data", big}, sse.ParsedEvent{Type: "message", Data: big}, nil, true},
		{"posted", []string{"id", "p", "event", "e", "data", "a\nb"}, sse.ParsedEvent{ID: "p", IDSet: true, Type: "e", Data: "a\nb"}, nil, true},
		{"all fields", []string{"id", "id: 7", "event", " spaced:type", "retry", "2500", "comment", "c1\nc2", "data", "x"},
			sse.ParsedEvent{ID: "id: 7", IDSet: true, Type: " spaced:type", Retry: 2500 * time.Millisecond, Data: "x"}, []string{"c1", "c2"}, false},
		{"unicode id and event", []string{"id", "ïd-✓", "event", "évent"}, sse.ParsedEvent{ID: "ïd-✓", IDSet: true, Type: "évent"}, nil, false},
		{"empty id resets", []string{"id", "", "data", "x"}, sse.ParsedEvent{IDSet: true, Type: "message", Data: "x"}, nil, false},
		{"retry zero", []string{"retry", "0", "data", "x"}, sse.ParsedEvent{Type: "message", Data: "x"}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp *http.Response
			if c.post {
				form := strings.TrimPrefix(echoQuery(c.query...), "/sse/echo?")
				resp = s.do(t, http.MethodPost, "/sse/echo", "application/x-www-form-urlencoded", strings.NewReader(form))
			} else {
				resp = s.get(t, echoQuery(c.query...))
			}
			wantSSE(t, resp)
			defer resp.Body.Close()
			var comments []string
			r := sse.NewReader(resp.Body, &sse.ReaderOptions{
				LastEventID:   "before",
				MaxLineLength: 4 << 20,
				OnComment:     func(text string) { comments = append(comments, text) },
			})
			e, err := r.Next()
			if err != nil {
				t.Fatalf("reading the event: %v", err)
			}
			want := c.want
			if !want.IDSet {
				want.ID = "before"
			}
			if e != want {
				t.Errorf("got  %s\nwant %s", short(e), short(want))
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("after the event: %v, want the end of the stream", err)
			}
			if c.comment != nil && strings.Join(comments, "|") != strings.Join(c.comment, "|") {
				t.Errorf("comments %q, want %q", comments, c.comment)
			}
			if got, ok := r.Retry(); given(c.query, "retry") && (!ok || got != c.want.Retry) {
				t.Errorf("retry %v (set %v), want %v", got, ok, c.want.Retry)
			}
		})
	}
}

// given reports whether name is among the names of the pairs kv.
func given(kv []string, name string) bool {
	for i := 0; i < len(kv); i += 2 {
		if kv[i] == name {
			return true
		}
	}
	return false
}

func short(e sse.ParsedEvent) string {
	if len(e.Data) > 80 {
		e.Data = fmt.Sprintf("%s... (%d bytes)", e.Data[:80], len(e.Data))
	}
	return fmt.Sprintf("%+q", fmt.Sprintf("%+v", e))
}

// want400 checks a plain-text 400 with a reason, and no stream.
func want400(t *testing.T, resp *http.Response, what string) {
	t.Helper()
	body := text(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("%s: status %d (%q), want 400", what, resp.StatusCode, body)
		return
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("%s: Content-Type %q, want text/plain", what, ct)
	}
	if strings.TrimSpace(body) == "" {
		t.Errorf("%s: 400 without a reason", what)
	}
}

func checkEchoUnsendable(t *testing.T, s *server) {
	cases := [][]string{
		{"id", "a\nb"}, {"id", "a\rb"}, {"id", "a\r\nb"}, {"id", "a\x00b"},
		{"event", "a\nb"}, {"event", "a\rb"}, {"event", "\x00"},
		{"retry", "abc"}, {"retry", "-1"}, {"retry", "1.5"}, {"retry", ""}, {"retry", " 10"},
		{"retry", "99999999999999999999"},
	}
	for _, c := range cases {
		want400(t, s.get(t, echoQuery(append(c, "data", "x")...)), fmt.Sprintf("%s=%q", c[0], c[1]))
	}
}

func checkBadParameters(t *testing.T, s *server) {
	long := strings.Repeat("a", 65)
	gets := []string{
		"/sse/ticks?count=-1", "/sse/ticks?count=1000001", "/sse/ticks?count=abc", "/sse/ticks?count=",
		"/sse/ticks?interval=bogus", "/sse/ticks?interval=-1s", "/sse/ticks?interval=",
		"/sse/ticks?lastEventId=abc", "/sse/ticks?lastEventId=-3",
		"/ndjson/ticks?count=-1", "/ndjson/ticks?count=1000001", "/ndjson/ticks?interval=bogus",
		"/chunked/download?size=10737418241", "/chunked/download?size=-1", "/chunked/download?size=1e3",
		"/chunked/download?size=abc",
		"/sse/topics/bad%20name", "/sse/topics/" + long, "/sse/topics/caf%C3%A9", "/sse/topics/a%3Bb",
	}
	for _, path := range gets {
		want400(t, s.get(t, path), "GET "+path)
	}
	resp := s.get(t, "/sse/ticks", "Last-Event-ID", "nope")
	want400(t, resp, "Last-Event-ID: nope")

	posts := []string{
		"/topics/bad%20name", "/topics/" + long, "/topics/caf%C3%A9",
		"/topics/ok?event=a%0Ab", "/topics/ok?event=a%0Db", "/topics/ok?event=a%00b",
		"/upload?progress=bad%20name", "/upload?progress=" + long,
	}
	for _, path := range posts {
		want400(t, s.do(t, http.MethodPost, path, "text/plain", strings.NewReader("x")), "POST "+path)
	}
	// A topic exactly 64 characters long is fine.
	resp = s.do(t, http.MethodPost, "/topics/"+long[:64], "text/plain", strings.NewReader("x"))
	if text(t, resp); resp.StatusCode != http.StatusOK {
		t.Errorf("POST to a 64-character topic: %d, want 200", resp.StatusCode)
	}
}

func randomTopic(*testing.T) string {
	var b [8]byte
	rand.Read(b[:])
	return "t-" + hex.EncodeToString(b[:])
}

// publish posts data to topic as event and returns the event's ID.
func (s *server) publish(t *testing.T, topic, event, data string) string {
	t.Helper()
	path := "/topics/" + topic
	if event != "" {
		path += "?event=" + url.QueryEscape(event)
	}
	resp := s.do(t, http.MethodPost, path, "text/plain; charset=utf-8", strings.NewReader(data))
	body := text(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s = %d %q, want 200", path, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("POST %s: Content-Type %q, want application/json", path, ct)
	}
	var out struct{ ID string }
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.ID == "" {
		t.Fatalf("POST %s = %q, want {\"id\":\"...\"}", path, body)
	}
	return out.ID
}

// subscriber is an open /sse/topics/{topic} stream.
type subscriber struct {
	resp   *http.Response
	r      *sse.Reader
	cancel context.CancelFunc
}

// subscribe opens topic's stream after lastID. Events published after
// lastID reach it even if they are published before the subscription is in
// place, which the tests rely on instead of timing.
func (s *server) subscribe(t *testing.T, topic, lastID string) *subscriber {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/sse/topics/"+topic, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	wantSSE(t, resp)
	sub := &subscriber{resp: resp, r: sse.NewReader(resp.Body, &sse.ReaderOptions{LastEventID: lastID}), cancel: cancel}
	t.Cleanup(sub.close)
	return sub
}

func (sub *subscriber) close() {
	sub.cancel()
	sub.resp.Body.Close()
}

// next reads the next event, failing the test after 5s.
func (sub *subscriber) next(t *testing.T) sse.ParsedEvent {
	t.Helper()
	timer := time.AfterFunc(5*time.Second, sub.cancel)
	defer timer.Stop()
	e, err := sub.r.Next()
	if err != nil {
		t.Fatalf("reading the topic stream: %v", err)
	}
	return e
}

func checkFanOut(t *testing.T, s *server) {
	topic := randomTopic(t)
	start := s.publish(t, topic, "", "start")
	a := s.subscribe(t, topic, start)
	b := s.subscribe(t, topic, start)
	var ids []string
	for i := range 3 {
		ids = append(ids, s.publish(t, topic, "message", fmt.Sprintf("hello %d\nline two", i)))
	}
	for name, sub := range map[string]*subscriber{"a": a, "b": b} {
		for i := range 3 {
			e := sub.next(t)
			want := sse.ParsedEvent{ID: ids[i], IDSet: true, Type: "message", Data: fmt.Sprintf("hello %d\nline two", i)}
			if e != want {
				t.Errorf("subscriber %s, event %d: got %+v, want %+v", name, i, e, want)
			}
		}
	}
}

func checkHistory(t *testing.T, s *server) {
	topic := randomTopic(t)
	var ids []string
	for i := range 4 {
		ids = append(ids, s.publish(t, topic, "note", strconv.Itoa(i)))
	}
	sub := s.subscribe(t, topic, ids[1])
	for i := 2; i < 4; i++ {
		if e := sub.next(t); e.ID != ids[i] || e.Data != strconv.Itoa(i) || e.Type != "note" {
			t.Errorf("replayed %+v, want id %s data %d", e, ids[i], i)
		}
	}
	live := s.publish(t, topic, "note", "live")
	if e := sub.next(t); e.ID != live || e.Data != "live" {
		t.Errorf("after the replay got %+v, want the live event %s", e, live)
	}
}

func checkResync(t *testing.T, s *server) {
	topic := randomTopic(t)
	id := s.publish(t, topic, "", "one")
	epoch := id[:strings.LastIndexByte(id, '-')]
	for _, lastID := range []string{"bogus", epoch + "-999", "zzzzzzzzzzzz0-1"} {
		t.Run(lastID, func(t *testing.T) {
			sub := s.subscribe(t, topic, lastID)
			e := sub.next(t)
			if e.Type != "resync" {
				t.Fatalf("first event %+v, want a resync", e)
			}
			var data struct {
				Reason string `json:"reason"`
				LastID string `json:"last_id"`
			}
			if err := json.Unmarshal([]byte(e.Data), &data); err != nil || data.Reason == "" || data.LastID != id {
				t.Errorf("resync data %q, want a reason and last_id %q", e.Data, id)
			}
			live := s.publish(t, topic, "", "after")
			if e := sub.next(t); e.ID != live || e.Data != "after" {
				t.Errorf("after the resync got %+v, want the live event %s", e, live)
			}
			id = live
		})
	}
}

func checkHeartbeat(t *testing.T, s *server) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*testHeartbeat)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/sse/topics/"+randomTopic(t), nil)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wantSSE(t, resp)
	raw, _ := io.ReadAll(resp.Body) // until the context ends it
	resp.Body.Close()
	if n := bytes.Count(raw, []byte(":\n\n")); n < 4 {
		t.Errorf("%d heartbeats in %v with -heartbeat %v, want at least 4; got %q", n, 10*testHeartbeat, testHeartbeat, raw)
	}
}

func checkPublishLimit(t *testing.T, s *server) {
	topic := randomTopic(t)
	resp := s.do(t, http.MethodPost, "/topics/"+topic, "text/plain", strings.NewReader(strings.Repeat("x", 64<<10)))
	if text(t, resp); resp.StatusCode != http.StatusOK {
		t.Errorf("publishing 64 KiB: %d, want 200", resp.StatusCode)
	}
	resp = s.do(t, http.MethodPost, "/topics/"+topic, "text/plain", strings.NewReader(strings.Repeat("x", 64<<10+1)))
	if body := text(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("publishing 64 KiB + 1: %d %q, want 413", resp.StatusCode, body)
	}
}

func checkNDJSON(t *testing.T, s *server) {
	start := time.Now()
	resp := s.get(t, "/ndjson/ticks?count=3&interval=200ms")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d, Content-Type %q, want 200 application/x-ndjson", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	var first time.Duration
	for sc.Scan() {
		if len(lines) == 0 {
			first = time.Since(start)
		}
		lines = append(lines, sc.Text())
	}
	resp.Body.Close()
	end := time.Since(start)
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines, ","); got != `{"n":1},{"n":2},{"n":3}` {
		t.Errorf("lines %s, want {\"n\":1..3}", got)
	}
	if end-first < 300*time.Millisecond {
		t.Errorf("line 1 arrived at %v and the stream ended at %v: not streamed", first, end)
	}

	resp = s.get(t, "/ndjson/ticks?interval=0&count=5000")
	body := text(t, resp)
	want := new(strings.Builder)
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(want, "{\"n\":%d}\n", i)
	}
	if body != want.String() {
		t.Errorf("count=5000 interval=0: got %d bytes, want %d bytes of lines 1..5000", len(body), want.Len())
	}
}

func checkDownload(t *testing.T, s *server) {
	for _, size := range []int64{0, 1, 250, 251, 252, 100_003, 3 << 20} {
		t.Run(strconv.FormatInt(size, 10), func(t *testing.T) {
			resp := s.get(t, "/chunked/download?size="+strconv.FormatInt(size, 10))
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" {
				t.Fatalf("status %d, Content-Type %q, want 200 application/octet-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if resp.ContentLength != -1 {
				t.Errorf("Content-Length %d, want none (streamed)", resp.ContentLength)
			}
			br := bufio.NewReaderSize(resp.Body, 64<<10)
			var n int64
			for {
				c, err := br.ReadByte()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("after %d bytes: %v", n, err)
				}
				if c != byte(n%251) {
					t.Fatalf("byte %d is %d, want %d", n, c, n%251)
				}
				n++
			}
			if n != size {
				t.Errorf("got %d bytes, want %d", n, size)
			}
		})
	}
	resp := s.get(t, "/chunked/download")
	if n, _ := io.Copy(io.Discard, resp.Body); n != 1<<20 {
		t.Errorf("default size: %d bytes, want 1 MiB", n)
	}
	resp.Body.Close()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// multipartBody builds a form with a text field before the file part, and
// a second file that must be ignored.
func multipartBody(t *testing.T, file []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("note", "a field before the file")
	fw, err := mw.CreateFormFile("file", "data.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	fw, _ = mw.CreateFormFile("other", "other.bin")
	fw.Write([]byte("not this one"))
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

type uploadResult struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

func wantUpload(t *testing.T, resp *http.Response, data []byte) {
	t.Helper()
	body := text(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d %q, want 200", resp.StatusCode, body)
	}
	var got uploadResult
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	if want := (uploadResult{int64(len(data)), sum(data)}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// onlyReader hides a reader's other methods (and so its length) so that
// the client sends the body chunked.
type onlyReader struct{ io.Reader }

func checkUpload(t *testing.T, s *server) {
	data := randomBytes(300_001)
	t.Run("raw", func(t *testing.T) {
		wantUpload(t, s.do(t, http.MethodPost, "/upload", "application/octet-stream", bytes.NewReader(data)), data)
	})
	t.Run("raw chunked", func(t *testing.T) {
		wantUpload(t, s.do(t, http.MethodPost, "/upload", "application/octet-stream", onlyReader{bytes.NewReader(data)}), data)
	})
	t.Run("empty", func(t *testing.T) {
		wantUpload(t, s.do(t, http.MethodPost, "/upload", "application/octet-stream", http.NoBody), nil)
	})
	t.Run("multipart", func(t *testing.T) {
		ct, body := multipartBody(t, data)
		wantUpload(t, s.do(t, http.MethodPost, "/upload", ct, bytes.NewReader(body)), data)
	})
	// The limit counts the request body: a multipart form's framing too.
	t.Run("exactly the limit", func(t *testing.T) {
		full := randomBytes(testMaxUpload)
		wantUpload(t, s.do(t, http.MethodPost, "/upload", "application/octet-stream", bytes.NewReader(full)), full)
		ct, body := multipartBody(t, full[:testMaxUpload-1024])
		body = append(body, make([]byte, testMaxUpload-len(body))...) // padding after the closing boundary
		wantUpload(t, s.do(t, http.MethodPost, "/upload", ct, bytes.NewReader(body)), full[:testMaxUpload-1024])
	})
}

func checkUploadLimit(t *testing.T, s *server) {
	over := randomBytes(testMaxUpload + 1)
	ct, form := multipartBody(t, over)
	cases := []struct {
		name string
		ct   string
		body func() io.Reader
	}{
		{"raw", "application/octet-stream", func() io.Reader { return bytes.NewReader(over) }},
		{"raw chunked", "application/octet-stream", func() io.Reader { return onlyReader{bytes.NewReader(over)} }},
		{"multipart", ct, func() io.Reader { return bytes.NewReader(form) }},
		{"raw 4 MiB", "application/octet-stream", func() io.Reader { return bytes.NewReader(randomBytes(4 * testMaxUpload)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := s.do(t, http.MethodPost, "/upload", c.ct, c.body())
			if body := text(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d %q, want 413", resp.StatusCode, body)
			}
		})
	}
}

func checkUploadProgress(t *testing.T, s *server) {
	topic := randomTopic(t)
	start := s.publish(t, topic, "", "waiting")
	sub := s.subscribe(t, topic, start)
	data := randomBytes(testMaxUpload)
	// Sent slowly enough that the server reads it in several steps.
	pr, pw := io.Pipe()
	go func() {
		for off := 0; off < len(data); off += 128 << 10 {
			if _, err := pw.Write(data[off:min(off+128<<10, len(data))]); err != nil {
				return
			}
			time.Sleep(30 * time.Millisecond)
		}
		pw.Close()
	}()
	wantUpload(t, s.do(t, http.MethodPost, "/upload?progress="+topic, "application/octet-stream", pr), data)

	var last int64 = -1
	for {
		e := sub.next(t)
		switch e.Type {
		case "progress":
			var p struct{ Bytes, Total int64 }
			if err := json.Unmarshal([]byte(e.Data), &p); err != nil {
				t.Fatalf("progress data %q: %v", e.Data, err)
			}
			if p.Bytes < last || p.Bytes > int64(len(data)) {
				t.Errorf("progress went from %d to %d", last, p.Bytes)
			}
			last = p.Bytes
		case "done":
			var res uploadResult
			if err := json.Unmarshal([]byte(e.Data), &res); err != nil || res != (uploadResult{int64(len(data)), sum(data)}) {
				t.Errorf("done data %q, want bytes and sha256 of the upload", e.Data)
			}
			if last != int64(len(data)) {
				t.Errorf("last progress before done: %d bytes, want %d", last, len(data))
			}
			return
		default:
			t.Fatalf("unexpected event %+v on the progress topic", e)
		}
	}
}

// checkHTTP10 reads a stream as an HTTP/1.0 client over raw TCP: no chunked
// encoding, the body ends when the server closes the connection.
func checkHTTP10(t *testing.T, s *server) {
	u, _ := url.Parse(s.url)
	c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := io.WriteString(c, "GET /sse/ticks?count=3&interval=200ms HTTP/1.0\r\nHost: "+u.Host+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the status line: %v", err)
	}
	if !strings.HasPrefix(status, "HTTP/1.") || !strings.Contains(status, " 200 ") {
		t.Fatalf("status line %q, want 200", status)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the headers: %v", err)
		}
		if line == "\r\n" {
			break
		}
		if k, v, _ := strings.Cut(line, ":"); strings.EqualFold(k, "Transfer-Encoding") {
			t.Fatalf("Transfer-Encoding:%s sent to an HTTP/1.0 client, which cannot decode it", strings.TrimSpace(v))
		}
	}
	r := sse.NewReader(br, nil)
	var events []sse.ParsedEvent
	var first time.Duration
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d events: %v", len(events), err)
		}
		if len(events) == 0 {
			first = time.Since(start)
		}
		events = append(events, e)
	}
	wantTicks(t, events, 1, 3)
	if end := time.Since(start); end-first < 300*time.Millisecond {
		t.Errorf("event 1 arrived at %v and the stream ended at %v: not streamed", first, end)
	}
}

type stats struct {
	Active int64 `json:"active_streams"`
	Total  int64 `json:"streams_total"`
	Events int64 `json:"events_sent"`
	Bytes  int64 `json:"bytes_sent"`
}

func (s *server) stats(t *testing.T) stats {
	t.Helper()
	resp := s.get(t, "/stats")
	body := text(t, resp)
	var st stats
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("GET /stats = %d %q", resp.StatusCode, body)
	}
	var all map[string]any
	json.Unmarshal([]byte(body), &all)
	for _, k := range []string{"active_streams", "streams_total", "events_sent", "bytes_sent", "dropped", "slow_disconnects", "errors"} {
		if _, ok := all[k]; !ok {
			t.Errorf("/stats has no %q: %s", k, body)
		}
	}
	return st
}

// waitIdle polls /stats until no stream is open, failing after 3s.
func (s *server) waitIdle(t *testing.T) stats {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		st := s.stats(t)
		if st.Active == 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d streams still active 3s after their clients left", st.Active)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkStats(t *testing.T, s *server) {
	before := s.waitIdle(t)
	if before.Total == 0 || before.Events == 0 || before.Bytes == 0 {
		t.Errorf("stats after the other checks: %+v, want streams, events and bytes counted", before)
	}
	topic := randomTopic(t)
	subs := []*subscriber{s.subscribe(t, topic, ""), s.subscribe(t, topic, "")}
	if st := s.stats(t); st.Active < 2 {
		t.Errorf("active_streams %d with two subscribers connected, want 2", st.Active)
	}
	// Leave without a word: the server notices the disconnect.
	for _, sub := range subs {
		sub.close()
	}
	after := s.waitIdle(t)
	if after.Total < before.Total+2 {
		t.Errorf("streams_total went from %d to %d, want 2 more", before.Total, after.Total)
	}
}

// checkShutdown stops the server with SIGTERM while a client is subscribed:
// the stream gets its farewell (a retry hint), ends, and the process exits
// cleanly within a few seconds.
func checkShutdown(t *testing.T, s *server) {
	topic := randomTopic(t)
	start := s.publish(t, topic, "", "start")
	sub := s.subscribe(t, topic, start)
	id := s.publish(t, topic, "", "before the end")
	if e := sub.next(t); e.ID != id {
		t.Fatalf("got %+v, want event %s", e, id)
	}
	took, err := s.stop(t, 8*time.Second)
	if err != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", err)
	}
	if took > 5*time.Second {
		t.Errorf("exit took %v, want a few seconds at most", took)
	}
	if _, err := sub.r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after shutdown the stream gave %v, want a clean end", err)
	}
	if retry, ok := sub.r.Retry(); !ok || retry <= 0 {
		t.Errorf("no retry hint in the farewell (retry %v, set %v)", retry, ok)
	}
}
