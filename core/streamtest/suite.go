package streamtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
)

// Harness describes a [core.Conn] implementation to [Run].
type Harness struct {
	// Serve starts a live server on a loopback port that calls handle, on
	// the request's own goroutine, with the adapter's Conn for every
	// request, whatever its path. It returns the server's base URL
	// ("http://127.0.0.1:port") and stops the server with t.Cleanup.
	// handle returns only when the stream is over; the adapter must not
	// finish the response before then.
	Serve func(t *testing.T, cfg ServerConfig, handle func(core.Conn)) string

	// Client returns the HTTP client for requests to the server; nil means
	// a plain HTTP/1.1 client. The suite closes its idle connections.
	Client func(t *testing.T) *http.Client

	// Proto, when set, is the protocol every response must report, such
	// as "HTTP/2.0".
	Proto string

	// NoDisconnectSignal says the Conn's context does not end when the
	// client leaves (hertz without WithSenseClientDisconnection); the
	// suite then checks that a write fails instead.
	NoDisconnectSignal bool

	// NoWriteDeadline says the Conn cannot set write deadlines; the
	// deadline test is skipped.
	NoWriteDeadline bool
}

// ServerConfig is what a test asks of the server it starts.
type ServerConfig struct {
	// WriteTimeout is the server's own write timeout (http.Server's
	// WriteTimeout, or the framework's equivalent); 0 means none.
	WriteTimeout time.Duration
}

// DisconnectBudget is how soon after a client leaves a Conn's context must
// end.
const DisconnectBudget = 100 * time.Millisecond

// Run runs the conformance suite against h, each check as a subtest.
func Run(t *testing.T, h Harness) {
	checks := []struct {
		name string
		fn   func(*suite, *testing.T)
	}{
		{"Headers", (*suite).headers},
		{"IncrementalDelivery", (*suite).incremental},
		{"FlushErrorOnDeadClient", (*suite).deadClient},
		{"DisconnectSignal", (*suite).disconnect},
		{"ConcurrentWriters", (*suite).concurrentWriters},
		{"Heartbeat", (*suite).heartbeat},
		{"CoalescedFlush", (*suite).coalesced},
		{"WriteDeadline", (*suite).writeDeadline},
		{"ServerWriteTimeout", (*suite).serverWriteTimeout},
		{"RegistryCounts", (*suite).registryCounts},
		{"RegistryLimit", (*suite).registryLimit},
		{"Shutdown", (*suite).shutdown},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			s := &suite{h: h}
			c.fn(s, t)
		})
	}
}

type suite struct {
	h Harness
}

// serve starts a server whose handler runs fn and waits, at cleanup, for
// every handler to return.
func (s *suite) serve(t *testing.T, cfg ServerConfig, fn func(t *testing.T, c core.Conn)) (string, *http.Client) {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("a handler did not return within 10s of the test's end")
		}
	})
	url := s.h.Serve(t, cfg, func(c core.Conn) {
		wg.Add(1)
		defer wg.Done()
		fn(t, c)
	})
	var client *http.Client
	if s.h.Client != nil {
		client = s.h.Client(t)
	} else {
		client = &http.Client{Transport: &http.Transport{}}
	}
	t.Cleanup(client.CloseIdleConnections)
	return url, client
}

func (s *suite) get(t *testing.T, client *http.Client, url string) *http.Response {
	t.Helper()
	resp, err := s.do(client, url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if s.h.Proto != "" && resp.Proto != s.h.Proto {
		t.Errorf("response protocol = %s, want %s", resp.Proto, s.h.Proto)
	}
	return resp
}

// do sends a GET with a 20-second bound on the whole exchange (the
// response's body included: close it to release the bound).
func (s *suite) do(client *http.Client, url string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// cancelOnClose releases a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func newStream(t *testing.T, c core.Conn, o *core.Options) *core.Stream {
	t.Helper()
	st, err := core.New(c, o)
	if err != nil {
		t.Errorf("core.New: %v", err)
		return nil
	}
	return st
}

func write(t *testing.T, st *core.Stream, msg string) bool {
	t.Helper()
	if _, err := st.Write([]byte(msg)); err != nil {
		t.Errorf("Write(%q): %v", msg, err)
		return false
	}
	return true
}

func readLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading a line: got %q, %v", line, err)
	}
	return line
}

func wait(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

func (s *suite) headers(t *testing.T) {
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		c.SetHeader("X-Streamtest", "yes")
		st := newStream(t, c, &core.Options{ContentType: "text/x-streamtest; charset=utf-8"})
		if st == nil {
			return
		}
		write(t, st, "hello\n")
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("second Close: %v, want nil", err)
		}
		if _, err := st.Write([]byte("late\n")); !errors.Is(err, core.ErrClosed) {
			t.Errorf("Write after Close: %v, want ErrClosed", err)
		}
	})
	resp := s.get(t, client, url)
	want := map[string]string{
		"Content-Type":      "text/x-streamtest; charset=utf-8",
		"Cache-Control":     "no-cache",
		"X-Accel-Buffering": "no",
		"X-Streamtest":      "yes",
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if resp.ProtoMajor >= 2 && resp.Header.Get("Connection") != "" {
		t.Errorf("HTTP/2 response carries a Connection header: %q", resp.Header.Get("Connection"))
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || string(body) != "hello\n" {
		t.Errorf("body = %q, %v; want %q, nil", body, err, "hello\n")
	}
}

func (s *suite) incremental(t *testing.T) {
	gotFirst := make(chan struct{})
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, nil)
		if st == nil {
			return
		}
		defer st.Close()
		if !write(t, st, "one\n") {
			return
		}
		if !wait(gotFirst, 5*time.Second) {
			t.Errorf("the client did not receive message 1 before message 2 was due: the Conn does not flush")
			return
		}
		write(t, st, "two\n")
	})
	resp := s.get(t, client, url)
	br := bufio.NewReader(resp.Body)
	if got := readLine(t, br); got != "one\n" {
		t.Fatalf("message 1 = %q, want %q", got, "one\n")
	}
	close(gotFirst)
	if got := readLine(t, br); got != "two\n" {
		t.Fatalf("message 2 = %q, want %q", got, "two\n")
	}
}

func (s *suite) deadClient(t *testing.T) {
	closed := make(chan struct{})
	result := make(chan error, 1)
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, nil)
		if st == nil {
			result <- errors.New("no stream")
			return
		}
		defer st.Close()
		write(t, st, "one\n")
		<-closed
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := st.Write([]byte(strings.Repeat("x", 1024) + "\n")); err != nil {
				select {
				case <-st.Context().Done():
				default:
					t.Errorf("stream not done after a failed write")
				}
				if st.Err() == nil {
					t.Errorf("Err() = nil after a failed write")
				}
				result <- err
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		result <- nil
	})
	resp := s.get(t, client, url)
	br := bufio.NewReader(resp.Body)
	readLine(t, br)
	resp.Body.Close()
	close(closed)
	if err := <-result; err == nil {
		t.Errorf("writes to a client that closed its connection kept succeeding for 5s")
	}
}

func (s *suite) disconnect(t *testing.T) {
	if s.h.NoDisconnectSignal {
		t.Skip("the harness says this Conn's context does not end on disconnect")
	}
	// A loaded machine can delay any single wake-up, so the budget must be
	// met once in three tries; a Conn that does not signal fails all three.
	var took []time.Duration
	for range 3 {
		d := s.disconnectOnce(t)
		if d < 0 {
			t.Fatalf("the stream did not notice the client leaving within 5s")
		}
		took = append(took, d)
		if d <= DisconnectBudget {
			t.Logf("disconnect noticed after %v", took)
			return
		}
	}
	t.Errorf("the stream noticed the client leaving after %v, want within %v", took, DisconnectBudget)
}

// disconnectOnce returns how long after the client closed its connection
// the stream ended, or -1 if it did not within 5s.
func (s *suite) disconnectOnce(t *testing.T) time.Duration {
	closedAt := make(chan time.Time, 1)
	elapsed := make(chan time.Duration, 1)
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, nil)
		if st == nil {
			elapsed <- -1
			return
		}
		defer st.Close()
		write(t, st, "one\n")
		select {
		case <-st.Context().Done():
			at := <-closedAt
			elapsed <- time.Since(at)
		case <-time.After(5 * time.Second):
			elapsed <- -1
		}
	})
	resp := s.get(t, client, url)
	readLine(t, bufio.NewReader(resp.Body))
	closedAt <- time.Now()
	resp.Body.Close()
	return <-elapsed
}

func (s *suite) concurrentWriters(t *testing.T) {
	const writers, each = 8, 200
	pad := strings.Repeat("p", 64)
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, &core.Options{Flush: core.FlushPolicy{MaxBytes: 4096, MaxDelay: time.Millisecond}})
		if st == nil {
			return
		}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					if _, err := fmt.Fprintf(st, "w%d-%d-%s\n", w, i, pad); err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	resp := s.get(t, client, url)
	next := make([]int, writers)
	sc := bufio.NewScanner(resp.Body)
	lines := 0
	for sc.Scan() {
		lines++
		var w, i int
		var p string
		if n, err := fmt.Sscanf(sc.Text(), "w%d-%d-%s", &w, &i, &p); n != 3 || err != nil || p != pad || w < 0 || w >= writers {
			t.Fatalf("line %d is garbled: %q", lines, sc.Text())
		}
		if i != next[w] {
			t.Fatalf("writer %d: message %d arrived where %d was due", w, i, next[w])
		}
		next[w]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines != writers*each {
		t.Errorf("got %d lines, want %d", lines, writers*each)
	}
}

func (s *suite) heartbeat(t *testing.T) {
	stop := make(chan struct{})
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, &core.Options{
			Heartbeat:        20 * time.Millisecond,
			HeartbeatMessage: func(b []byte) []byte { return append(b, "beat\n"...) },
		})
		if st == nil {
			return
		}
		defer st.Close()
		write(t, st, "one\n")
		select {
		case <-stop:
		case <-st.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	resp := s.get(t, client, url)
	br := bufio.NewReader(resp.Body)
	if got := readLine(t, br); got != "one\n" {
		t.Fatalf("first line = %q, want %q", got, "one\n")
	}
	for i := range 3 {
		if got := readLine(t, br); got != "beat\n" {
			t.Fatalf("heartbeat %d = %q, want %q", i+1, got, "beat\n")
		}
	}
	close(stop)
}

func (s *suite) coalesced(t *testing.T) {
	stop := make(chan struct{})
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, &core.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: 30 * time.Millisecond}})
		if st == nil {
			return
		}
		defer st.Close()
		for _, m := range []string{"a\n", "b\n", "c\n"} {
			write(t, st, m)
		}
		// No explicit flush: the delay alone must send them.
		select {
		case <-stop:
		case <-st.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	resp := s.get(t, client, url)
	br := bufio.NewReader(resp.Body)
	for _, want := range []string{"a\n", "b\n", "c\n"} {
		if got := readLine(t, br); got != want {
			t.Fatalf("line = %q, want %q", got, want)
		}
	}
	close(stop)
}

func (s *suite) writeDeadline(t *testing.T) {
	if s.h.NoWriteDeadline {
		t.Skip("the harness says this Conn cannot set write deadlines")
	}
	var reg core.Registry
	result := make(chan error, 1)
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, &core.Options{WriteTimeout: 200 * time.Millisecond, Registry: &reg})
		if st == nil {
			result <- errors.New("no stream")
			return
		}
		defer st.Close()
		chunk := []byte(strings.Repeat("z", 64<<10))
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := st.Write(chunk); err != nil {
				result <- err
				return
			}
		}
		result <- nil
	})
	resp := s.get(t, client, url) // and never read the body
	err := <-result
	resp.Body.Close()
	if !errors.Is(err, core.ErrWriteTimeout) {
		t.Fatalf("writing to a client that does not read: %v, want an error matching ErrWriteTimeout", err)
	}
	if got := reg.Stats().SlowDisconnects; got != 1 {
		t.Errorf("SlowDisconnects = %d, want 1", got)
	}
}

func (s *suite) serverWriteTimeout(t *testing.T) {
	const n = 11
	url, client := s.serve(t, ServerConfig{WriteTimeout: 200 * time.Millisecond}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, nil)
		if st == nil {
			return
		}
		for i := range n {
			if i > 0 {
				time.Sleep(100 * time.Millisecond)
			}
			if _, err := fmt.Fprintf(st, "m%d\n", i); err != nil {
				t.Errorf("message %d, %v into the stream: %v", i, time.Duration(i)*100*time.Millisecond, err)
				return
			}
		}
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	// The server's 200 ms WriteTimeout also bounds a TLS handshake, which a
	// loaded machine can miss before the handler ever runs: a request that
	// fails without a response is tried again. The stream's survival is
	// what is tested, not the connection's setup.
	var resp *http.Response
	for attempt := 1; ; attempt++ {
		r, err := s.do(client, url)
		if err == nil {
			resp = r
			t.Cleanup(func() { resp.Body.Close() })
			break
		}
		if attempt == 5 {
			t.Fatalf("GET %s, %d attempts: %v", url, attempt, err)
		}
		t.Logf("GET %s: %v; trying again", url, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading a 1s stream under a 200ms server WriteTimeout: %v (got %q)", err, body)
	}
	if got := strings.Count(string(body), "\n"); got != n {
		t.Errorf("got %d messages, want %d: %q", got, n, body)
	}
}

func (s *suite) registryCounts(t *testing.T) {
	var reg core.Registry
	read := make(chan struct{})
	msgs := []string{"alpha\n", "beta\n", "gamma\n"}
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, &core.Options{Registry: &reg})
		if st == nil {
			return
		}
		if got := reg.Stats().Active; got != 1 {
			t.Errorf("Active during the stream = %d, want 1", got)
		}
		for _, m := range msgs {
			write(t, st, m)
		}
		<-read
		st.Close()
		if got := reg.Stats().Active; got != 0 {
			t.Errorf("Active after Close = %d, want 0", got)
		}
	})
	resp := s.get(t, client, url)
	br := bufio.NewReader(resp.Body)
	wantBytes := 0
	for _, m := range msgs {
		readLine(t, br)
		wantBytes += len(m)
	}
	close(read)
	io.Copy(io.Discard, resp.Body)
	deadline := time.Now().Add(5 * time.Second)
	var st core.Stats
	for {
		st = reg.Stats()
		if st.Active == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := core.Stats{Total: 1, Messages: 3, Bytes: int64(wantBytes)}
	if st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
}

func (s *suite) registryLimit(t *testing.T) {
	reg := &core.Registry{Limit: 1, RetryAfter: 3 * time.Second}
	release := make(chan struct{})
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st, err := core.New(c, &core.Options{Registry: reg})
		if err != nil {
			if !errors.Is(err, core.ErrTooManyStreams) {
				t.Errorf("core.New past the limit: %v, want ErrTooManyStreams", err)
			}
			return
		}
		defer st.Close()
		write(t, st, "held\n")
		wait(release, 10*time.Second)
	})
	first := s.get(t, client, url)
	readLine(t, bufio.NewReader(first.Body))
	second := s.get(t, client, url)
	body, _ := io.ReadAll(second.Body)
	close(release)
	if second.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second stream: status %d, want 503", second.StatusCode)
	}
	if got := second.Header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After = %q, want %q", got, "3")
	}
	if !strings.Contains(string(body), "too many") {
		t.Errorf("503 body = %q, want a reason", body)
	}
}

func (s *suite) shutdown(t *testing.T) {
	const clients = 3
	reg := &core.Registry{ShutdownSpread: 50 * time.Millisecond}
	returned := make(chan error, clients)
	url, client := s.serve(t, ServerConfig{}, func(t *testing.T, c core.Conn) {
		st := newStream(t, c, &core.Options{
			Registry: reg,
			Farewell: func(b []byte, cause error) []byte {
				if !errors.Is(cause, core.ErrShutdown) {
					t.Errorf("farewell cause = %v, want ErrShutdown", cause)
				}
				return append(b, "bye\n"...)
			},
		})
		if st == nil {
			returned <- errors.New("no stream")
			return
		}
		write(t, st, "hi\n")
		<-st.Context().Done()
		returned <- st.Err()
	})
	var readers []*bufio.Reader
	for range clients {
		resp := s.get(t, client, url)
		br := bufio.NewReader(resp.Body)
		readLine(t, br)
		readers = append(readers, br)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := reg.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for i, br := range readers {
		if got := readLine(t, br); got != "bye\n" {
			t.Errorf("client %d: last message %q, want %q", i, got, "bye\n")
		}
		if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
			t.Errorf("client %d: after the farewell got %q, %v; want a clean end", i, rest, err)
		}
	}
	for range clients {
		if err := <-returned; !errors.Is(err, core.ErrShutdown) {
			t.Errorf("stream ended with %v, want ErrShutdown", err)
		}
	}
	if got := reg.Stats().Active; got != 0 {
		t.Errorf("Active after Shutdown = %d, want 0", got)
	}
}
