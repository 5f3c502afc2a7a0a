package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The checks below hold the example servers to the limits a production
// server needs (examples/internal/demo, limits.go): the requests are what
// a hostile or broken client sends.

// checkMalformedQuery sends, to every route, a query that net/url refuses
// (more than 10,000 parameters, a bad escape, a ';'): each gets 400 with a
// reason. net/http's URL.Query drops such a query whole, so a handler
// reading it used to act on defaults (a publish with a forbidden event
// type was accepted with 200).
func checkMalformedQuery(t *testing.T, s *server) {
	many := "event=bad%0Aname&" + strings.Repeat("a=1&", 10_000)
	cases := []struct{ method, path string }{
		{http.MethodPost, "/topics/t?" + many},
		{http.MethodPost, "/topics/t?event=x&a=%zz"},
		{http.MethodPost, "/topics/t?event=x;a=1"},
		{http.MethodGet, "/sse/ticks?count=1&interval=0&" + many},
		{http.MethodGet, "/sse/ticks?count=1&interval=0&a=%zz"},
		{http.MethodGet, "/ndjson/ticks?count=1;interval=0"},
		{http.MethodGet, "/chunked/download?size=1&a=%zz"},
		{http.MethodGet, "/sse/echo?data=x&a=%zz"},
		{http.MethodGet, "/sse/topics/t?a=%zz"},
		{http.MethodPost, "/upload?a=%zz"},
		{http.MethodGet, "/healthz?a=%zz"},
		{http.MethodGet, "/stats?" + many},
	}
	for _, c := range cases {
		name := c.path
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		want400(t, s.do(t, c.method, c.path, "text/plain", strings.NewReader("x")), c.method+" "+name)
	}
}

// rawRequest sends head, then body from a goroutine (so that a server that
// answers early is heard at once), and returns the first line of the
// answer, or "" when the server closed the connection without one. It
// fails the test when nothing comes within 60s.
func rawRequest(t *testing.T, s *server, head string, body func(net.Conn)) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	if body != nil {
		go body(c)
	}
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("no answer within 60s")
	}
	return strings.TrimSpace(line)
}

// checkHeaderLimit sends headers past 1 MiB: refused with 431 (they used
// to be read up to 8 MiB). 32 KiB of headers, more than browsers send,
// still pass.
func checkHeaderLimit(t *testing.T, s *server) {
	resp := s.get(t, "/healthz", "X-Cookies", strings.Repeat("c", 32<<10))
	if body := text(t, resp); resp.StatusCode != 200 {
		t.Errorf("32 KiB of headers: %d %q, want 200", resp.StatusCode, body)
	}
	big := strings.Repeat("b", 1<<20+8<<10)
	line := rawRequest(t, s, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+big+"\r\n\r\n", nil)
	if !strings.Contains(line, " 431 ") {
		t.Errorf("a 1 MiB header: %q, want 431", line)
	}
}

// checkIdempotentPublish publishes with an Idempotency-Key twice: the retry
// gets the first ID and subscribers see the event once; a key the hub
// cannot take gets 400.
func checkIdempotentPublish(t *testing.T, s *server) {
	topic := randomTopic(t)
	start := s.publish(t, topic, "", "start")
	key := "retry-" + topic
	post := func(key, data string) (int, string) {
		resp := s.do(t, http.MethodPost, "/topics/"+topic, "text/plain", strings.NewReader(data), "Idempotency-Key", key)
		body := text(t, resp)
		var out struct{ ID string }
		json.Unmarshal([]byte(body), &out) //nolint:errcheck // checked by the caller through the ID
		if resp.StatusCode != 200 {
			return resp.StatusCode, body
		}
		return resp.StatusCode, out.ID
	}
	code1, id1 := post(key, "once")
	code2, id2 := post(key, "once")
	if code1 != 200 || code2 != 200 || id1 == "" || id1 != id2 {
		t.Fatalf("two publishes with one key: %d %q and %d %q, want 200 and the same ID", code1, id1, code2, id2)
	}
	if code, id := post("other-"+topic, "twice"); code != 200 || id == id1 {
		t.Errorf("another key: %d %q, want 200 and a new ID", code, id)
	}
	for _, bad := range []string{strings.Repeat("k", 129), "with space", "tab\tkey"} {
		resp := s.do(t, http.MethodPost, "/topics/"+topic, "text/plain", strings.NewReader("x"), "Idempotency-Key", bad)
		want400(t, resp, fmt.Sprintf("Idempotency-Key %.20q", bad))
	}
	sub := s.subscribe(t, topic, start)
	defer sub.close()
	for _, want := range []string{"once", "twice"} {
		if e := sub.next(t); e.Data != want {
			t.Fatalf("event %q after %q, want %q", e.Data, start, want)
		}
	}
}

// checkUploadRefusedEarly sends uploads over the limit that the server can
// refuse from their Content-Length: with "Expect: 100-continue" the answer
// is 413 before any of the body is sent (no "100 Continue"), and without
// it 413 comes while the client holds back all but 1 KiB of the body.
// (hertz reads up to WithMaxRequestBodySize, at most 8 KiB, of a body
// before any handler runs; the example keeps that to a couple of bytes.)
func checkUploadRefusedEarly(t *testing.T, s *server) {
	head := fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n", 4*testMaxUpload)
	if line := rawRequest(t, s, head+"Expect: 100-continue\r\n\r\n", nil); !strings.Contains(line, " 413 ") {
		t.Errorf("with Expect: 100-continue and nothing sent: %q, want 413", line)
	}
	line := rawRequest(t, s, head+"\r\n", func(c net.Conn) { c.Write(make([]byte, 1<<10)) })
	if !strings.Contains(line, " 413 ") {
		t.Errorf("after 1 KiB of the body: %q, want 413", line)
	}
}

// withArgs is tg with more flags.
func withArgs(tg target, args ...string) target {
	tg.args = append(append([]string(nil), tg.args...), args...)
	return tg
}

// TestHeaderFlood has 40 clients send unfinished 3 MiB headers to each
// server at once: every one is refused with 431, and the server's memory
// does not grow by what they sent. (With 8 MiB allowed, 40 clients sending
// 7.9 MiB took a server from 12 MB to 700 MB.)
func TestHeaderFlood(t *testing.T) {
	const clients, size = 40, 3 << 20
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			s := startServer(t, tg)
			before := rss(t, s)
			var wg sync.WaitGroup
			lines := make([]string, clients)
			for i := range clients {
				wg.Go(func() {
					lines[i] = rawRequest(t, s, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", func(c net.Conn) {
						chunk := bytes.Repeat([]byte("b"), 64<<10)
						for sent := 0; sent < size; sent += len(chunk) {
							if _, err := c.Write(chunk); err != nil {
								return
							}
						}
					})
				})
			}
			wg.Wait()
			after := rss(t, s)
			for i, line := range lines {
				if !strings.Contains(line, " 431 ") {
					t.Errorf("client %d: %q, want 431", i, line)
				}
			}
			t.Logf("RSS %d MiB before, %d MiB after %d clients sent unfinished %d MiB headers", before>>20, after>>20, clients, size>>20)
			if grown := after - before; grown > clients*size/2 {
				t.Errorf("RSS grew by %d MiB, more than half of the %d MiB the clients sent", grown>>20, clients*size>>20)
			}
		})
	}
}

// rss reads the server process's resident set size, in bytes.
func rss(t *testing.T, s *server) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/pid/status")
	return 0
}

// TestSlowUpload starts each server with small bounds on slow uploads: a
// client that stops sending, and one that trickles a byte at a time (which
// an idle bound alone never stops), get 408; a prompt upload passes.
func TestSlowUpload(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, withArgs(tg, "-upload-idle", "300ms", "-upload-min-rate", "100000"))
			head := "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n"
			if line := rawRequest(t, s, head, func(c net.Conn) { c.Write(make([]byte, 100)) }); !strings.Contains(line, " 408 ") {
				t.Errorf("a stalled upload: %q, want 408", line)
			}
			done := make(chan struct{})
			defer close(done)
			line := rawRequest(t, s, head, func(c net.Conn) {
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-done:
						return
					case <-tick.C:
						if _, err := c.Write([]byte("x")); err != nil {
							return
						}
					}
				}
			})
			if !strings.Contains(line, " 408 ") {
				t.Errorf("a trickling upload: %q, want 408", line)
			}
			data := randomBytes(testMaxUpload / 2)
			wantUpload(t, s.do(t, http.MethodPost, "/upload", "application/octet-stream", bytes.NewReader(data)), data)
		})
	}
}

// TestMaxStreams starts each server with -max-streams 2: a third stream
// gets 503 while two are open.
func TestMaxStreams(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, withArgs(tg, "-max-streams", "2"))
			topic := randomTopic(t)
			a := s.subscribe(t, topic, "")
			defer a.close()
			b := s.subscribe(t, topic, "")
			defer b.close()
			resp := s.get(t, "/sse/topics/"+topic)
			body := text(t, resp)
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("a third stream: %d %q, want 503", resp.StatusCode, body)
			}
		})
	}
}
