package relay_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/sse"
)

// cancelBudget is how soon after the client leaves the upstream request
// must be cancelled and its connection closed.
const cancelBudget = 100 * time.Millisecond

func datas(evs []sse.ParsedEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Data)
	}
	return out
}

func TestRelayChatCompletes(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		send(": OPENROUTER PROCESSING\n\n")
		send(chunk("Hel"))
		// No space after the colon, CRLF line ends, a ping comment.
		send("data:" + strings.TrimSuffix(strings.TrimPrefix(chunk("lo"), "data: "), "\n\n") + "\r\n\r\n")
		send(":ping\n\n")
		send(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}` + "\n\n")
		send("data: [DONE]\n\n")
	})
	srv, results := chatRelay(t, u, nil)
	resp, evs, raw := readAll(t, srv.URL)
	if err := result(t, results); err != nil {
		t.Fatalf("relay: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type %q", ct)
	}
	if strings.Contains(raw, "OPENROUTER") || strings.Contains(raw, "ping") {
		t.Errorf("an upstream comment was forwarded:\n%s", raw)
	}
	var text string
	var usage *openai.Usage
	for _, d := range datas(evs[:len(evs)-1]) {
		ce, err := openai.ParseChatEvent(d)
		if err != nil || ce.Chunk == nil {
			t.Fatalf("event %q: %v", d, err)
		}
		for _, c := range ce.Chunk.Choices {
			text += *c.Delta.Content
		}
		if ce.Chunk.Usage != nil {
			usage = ce.Chunk.Usage
		}
	}
	if text != "Hello" {
		t.Errorf("text %q, want Hello", text)
	}
	if usage == nil || usage.TotalTokens != 5 {
		t.Errorf("usage %+v, want the usage chunk", usage)
	}
	if last := evs[len(evs)-1].Data; last != "[DONE]" {
		t.Errorf("last event %q, want [DONE]", last)
	}
}

// TestCancelWhenClientLeaves measures how long after the client drops its
// connection the upstream sees its own connection closed. A loaded machine
// can delay any single wake-up, so the budget must be met once in three
// tries; a relay that does not cancel fails all three.
func TestCancelWhenClientLeaves(t *testing.T) {
	var u *upstream
	u = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		send(chunk("first"))
		u.waitClosed(r)
	})
	srv, results := chatRelay(t, u, nil)
	var took []time.Duration
	for range 3 {
		rd, drop := openStream(t, srv.URL)
		if _, err := rd.Next(); err != nil {
			t.Fatal(err)
		}
		left := time.Now()
		drop()
		var closedAt time.Time
		select {
		case closedAt = <-u.closed:
		case <-time.After(5 * time.Second):
			t.Fatal("the upstream connection was still open 5s after the client left")
		}
		if err := result(t, results); !errors.Is(err, core.ErrClientGone) {
			t.Errorf("relay returned %v, want core.ErrClientGone", err)
		}
		took = append(took, closedAt.Sub(left))
		if took[len(took)-1] <= cancelBudget {
			t.Logf("upstream closed %v after the client left", took)
			return
		}
	}
	t.Errorf("upstream closed %v after the client left, want within %v", took, cancelBudget)
}

// flushTimes is a Conn that records when a write or flush first failed.
type flushTimes struct {
	core.Conn
	failed atomic.Pointer[time.Time]
}

func (c *flushTimes) record(err error) {
	if err != nil {
		now := time.Now()
		c.failed.CompareAndSwap(nil, &now)
	}
}

func (c *flushTimes) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.record(err)
	return n, err
}

func (c *flushTimes) Flush() error {
	err := c.Conn.Flush()
	c.record(err)
	return err
}

// TestStuckClient: a client that stops reading is cut off by the write
// deadline, and that cancels the upstream, which meanwhile was read no
// faster than the client drained (only socket buffers' worth).
func TestStuckClient(t *testing.T) {
	var sent atomic.Int64
	var u *upstream
	u = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		big := chunk(strings.Repeat("x", 32<<10))
		for {
			if send(big) != nil {
				break
			}
			sent.Add(int64(len(big)))
		}
		u.waitClosed(r)
	})
	client := u.Client()
	defer client.CloseIdleConnections()
	conns := make(chan *flushTimes, 1)
	results := make(chan error, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hc, _ := core.NewHTTPConn(w, r)
		c := &flushTimes{Conn: hc}
		conns <- c
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, u.URL, nil)
		results <- relay.Do(c, client, req, openai.Chat(), &relay.Options{
			Stream: &sse.Options{WriteTimeout: 300 * time.Millisecond},
		})
	})
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Shrink the client's receive buffer, so the relay blocks sooner.
	nc.(*net.TCPConn).SetReadBuffer(16 << 10)
	fmt.Fprintf(nc, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	// ... and never read.
	err = result(t, results)
	if !errors.Is(err, core.ErrWriteTimeout) {
		t.Fatalf("relay returned %v, want core.ErrWriteTimeout", err)
	}
	var closedAt time.Time
	select {
	case closedAt = <-u.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream was still open 5s after the client was cut off")
	}
	c := <-conns
	failed := c.failed.Load()
	if failed == nil {
		t.Fatal("no flush failed")
	}
	d := closedAt.Sub(*failed)
	t.Logf("upstream closed %v after the write deadline cut the client off; the upstream sent %d KiB in all", d, sent.Load()>>10)
	if d > 10*cancelBudget {
		t.Errorf("upstream closed %v after the client was cut off, want about %v", d, cancelBudget)
	}
	// Bounded in flight: what the upstream managed to send is socket
	// buffers on both hops plus one event, never a growing queue.
	if n := sent.Load(); n > 64<<20 {
		t.Errorf("the upstream sent %d MiB to a client that read nothing", n>>20)
	}
}

func TestSilentUpstreamGetsOurHeartbeats(t *testing.T) {
	release := make(chan struct{})
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		for {
			select {
			case <-release:
				send(chunk("late"))
				send("data: [DONE]\n\n")
				return
			case <-time.After(20 * time.Millisecond):
				send(": upstream-keepalive\n\n")
			}
		}
	})
	srv, results := chatRelay(t, u, &relay.Options{Stream: &sse.Options{Heartbeat: 30 * time.Millisecond}})
	resp, err := http.Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	// Three of our heartbeats arrive before any data.
	for i := 0; i < 3; {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case line == ":\n":
			i++
		case line == "\n":
		default:
			t.Fatalf("got %q while the upstream was silent, want only heartbeats", line)
		}
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if strings.Contains(string(rest), "keepalive") {
		t.Errorf("an upstream comment was forwarded: %q", rest)
	}
	if !strings.Contains(string(rest), "late") || !strings.HasSuffix(string(rest), "data: [DONE]\n\n") {
		t.Errorf("rest of the stream %q", rest)
	}
	if err := result(t, results); err != nil {
		t.Fatal(err)
	}
}

// failure checks a stream that got one chunk and then an in-band error:
// no [DONE] anywhere, and the error event last.
func failure(t *testing.T, evs []sse.ParsedEvent, wantType string) openai.APIError {
	t.Helper()
	if len(evs) != 2 {
		t.Fatalf("got events %q, want a chunk and an error", datas(evs))
	}
	ce, err := openai.ParseChatEvent(evs[1].Data)
	if err != nil || ce.Error == nil {
		t.Fatalf("last event %q is not an error (%v)", evs[1].Data, err)
	}
	if ce.Error.Type != wantType {
		t.Errorf("error type %q, want %q", ce.Error.Type, wantType)
	}
	return *ce.Error
}

func TestMidStreamReset(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		body := chunk("partial")
		fmt.Fprintf(brw, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(body), body)
		brw.Flush()
		time.Sleep(20 * time.Millisecond) // let the chunk arrive ahead of the reset
		nc.(*net.TCPConn).SetLinger(0)    // close with RST
		nc.Close()
	})
	srv, results := chatRelay(t, u, nil)
	_, evs, _ := readAll(t, srv.URL)
	failure(t, evs, "upstream_error")
	if err := result(t, results); !errors.Is(err, relay.ErrUpstream) {
		t.Errorf("relay returned %v, want ErrUpstream", err)
	}
}

func TestUpstreamErrorEvent(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		send(chunk("partial"))
		send(`data: {"error":{"message":"The server is overloaded","type":"server_error","code":null}}` + "\n\n")
		send("data: [DONE]\n\n") // must not reach the client after an error
	})
	srv, results := chatRelay(t, u, nil)
	_, evs, _ := readAll(t, srv.URL)
	e := failure(t, evs, "server_error")
	if e.Message != "The server is overloaded" {
		t.Errorf("message %q", e.Message)
	}
	var ue *relay.UpstreamError
	if err := result(t, results); !errors.As(err, &ue) || ue.Message != "The server is overloaded" {
		t.Errorf("relay returned %v, want the UpstreamError", err)
	}
}

func TestTruncatedStream(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		send(chunk("partial"))
		send(`data: {"half an event":`) // cut without its blank line
	})
	srv, results := chatRelay(t, u, nil)
	_, evs, _ := readAll(t, srv.URL)
	failure(t, evs, "upstream_truncated")
	if err := result(t, results); !errors.Is(err, relay.ErrTruncated) {
		t.Errorf("relay returned %v, want ErrTruncated", err)
	}
}

func TestLargeEvents(t *testing.T) {
	big := strings.Repeat("y", 2<<20)
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		send(chunk(big))
		send("data: [DONE]\n\n")
	})
	t.Run("2MiB passes by default", func(t *testing.T) {
		srv, results := chatRelay(t, u, nil)
		_, evs, _ := readAll(t, srv.URL)
		if err := result(t, results); err != nil {
			t.Fatal(err)
		}
		ce, err := openai.ParseChatEvent(evs[0].Data)
		if err != nil || *ce.Chunk.Choices[0].Delta.Content != big {
			t.Fatalf("the 2 MiB chunk did not arrive intact (%v)", err)
		}
	})
	t.Run("over the limit fails in band", func(t *testing.T) {
		srv, results := chatRelay(t, u, &relay.Options{MaxEventSize: 1 << 20})
		_, evs, _ := readAll(t, srv.URL)
		if len(evs) != 1 {
			t.Fatalf("got %d events, want one error", len(evs))
		}
		ce, _ := openai.ParseChatEvent(evs[0].Data)
		if ce.Error == nil || ce.Error.Type != "upstream_event_too_large" {
			t.Errorf("got %q, want the event-too-large error", evs[0].Data)
		}
		if err := result(t, results); !errors.Is(err, relay.ErrEventTooLarge) {
			t.Errorf("relay returned %v", err)
		}
	})
}

func TestMaxDuration(t *testing.T) {
	var u *upstream
	u = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		send(chunk("slow"))
		u.waitClosed(r)
	})
	srv, results := chatRelay(t, u, &relay.Options{MaxDuration: 200 * time.Millisecond})
	_, evs, _ := readAll(t, srv.URL)
	failure(t, evs, "timeout")
	if err := result(t, results); !errors.Is(err, relay.ErrMaxDuration) {
		t.Errorf("relay returned %v, want ErrMaxDuration", err)
	}
	select {
	case <-u.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream was not cancelled")
	}
}

func TestUpstreamHTTPErrors(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		ct, body   string
		wantStatus int
		wantMsg    string
	}{
		{"rate limited", 429, "application/json", `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`, 429, "Rate limit reached"},
		{"server error", 500, "application/json", `{"error":{"message":"boom","type":"server_error"}}`, 502, "boom"},
		{"bad key", 401, "application/json", `{"error":{"message":"Incorrect API key","type":"invalid_request_error"}}`, 502, "Incorrect API key"},
		{"html page", 503, "text/html", "<html>down\nfor maintenance</html>", 503, "<html>down for maintenance</html>"},
		{"200 but not a stream", 200, "application/json", `{"error":{"message":"stream not supported"}}`, 502, "stream not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ct)
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			srv, results := chatRelay(t, u, nil)
			resp, err := http.Post(srv.URL, "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			wantRA := ""
			if tc.wantStatus == 429 || tc.wantStatus == 503 {
				wantRA = "7"
			}
			if ra := resp.Header.Get("Retry-After"); ra != wantRA {
				t.Errorf("Retry-After %q, want %q", ra, wantRA)
			}
			var eb openai.ErrorBody
			if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Message != tc.wantMsg {
				t.Errorf("body %q, want the message %q", b, tc.wantMsg)
			}
			var ue *relay.UpstreamError
			if err := result(t, results); !errors.As(err, &ue) {
				t.Errorf("relay returned %v, want an UpstreamError", err)
			}
		})
	}
}

func TestUnreachableUpstream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	results := make(chan error, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+addr, nil)
		results <- relay.Do(c, nil, req, openai.Chat(), nil)
	})
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d, want 502", resp.StatusCode)
	}
	if err := result(t, results); !errors.Is(err, relay.ErrUpstream) {
		t.Errorf("relay returned %v", err)
	}
}

func TestHooks(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		send := startSSE(w)
		send(chunk("keep"))
		send(chunk("drop"))
		send(chunk("shout"))
		send(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":3,"total_tokens":4}}` + "\n\n")
		send("data: [DONE]\n\n")
	})
	var seen []string
	var usage openai.Usage
	opts := &relay.Options{
		OnEvent: func(ev *sse.RawEvent) {
			seen = append(seen, string(ev.Data))
			if ce, err := openai.ParseChatEvent(string(ev.Data)); err == nil && ce.Chunk != nil && ce.Chunk.Usage != nil {
				usage = *ce.Chunk.Usage
			}
		},
		Transform: func(ev *sse.RawEvent) bool {
			if bytes.Contains(ev.Data, []byte(`"drop"`)) {
				return false
			}
			ev.Data = bytes.ReplaceAll(ev.Data, []byte(`"shout"`), []byte(`"SHOUT"`))
			return true
		},
	}
	srv, results := chatRelay(t, u, opts)
	_, evs, _ := readAll(t, srv.URL)
	if err := result(t, results); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 5 || seen[4] != "[DONE]" {
		t.Errorf("OnEvent saw %d events, want all 5 including [DONE]", len(seen))
	}
	if usage.TotalTokens != 4 {
		t.Errorf("usage %+v", usage)
	}
	got := strings.Join(datas(evs), "\n")
	if strings.Contains(got, "drop") || !strings.Contains(got, "SHOUT") || !strings.Contains(got, "keep") {
		t.Errorf("client got\n%s", got)
	}
}
