package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Flags every server of the suite is started with: short heartbeats so
// that the test sees several, and a small upload limit so that 413 is
// cheap to reach.
const (
	testHeartbeat = 100 * time.Millisecond
	testMaxUpload = 1 << 20
)

// target is one example server configuration under test.
type target struct {
	name string   // subtest name
	bin  string   // binary in binDir
	args []string // extra flags
}

var targets = []target{
	{name: "nethttp", bin: "nethttp"},
	{name: "gin", bin: "gin"},
	{name: "echo", bin: "echo"},
	{name: "echov5", bin: "echov5"},
	{name: "hertz-standard", bin: "hertz", args: []string{"-transport", "standard"}},
	{name: "hertz-netpoll", bin: "hertz", args: []string{"-transport", "netpoll"}},
}

// server is a running example server process.
type server struct {
	name   string
	url    string // http://127.0.0.1:port, no trailing slash
	cmd    *exec.Cmd
	out    *watcher
	client *http.Client
	exited chan struct{} // closed once cmd.Wait returned
	err    error         // cmd.Wait's result, set before exited closes
}

// startServer starts tg on a free loopback port, waits until it answers
// /healthz, and registers a cleanup that kills and reaps the process (if a
// test has not stopped it already) and prints its output when the test
// failed.
func startServer(t *testing.T, tg target) *server {
	t.Helper()
	args := append([]string{
		"-addr", "127.0.0.1:0",
		"-heartbeat", testHeartbeat.String(),
		"-max-upload", strconv.Itoa(testMaxUpload),
	}, tg.args...)
	cmd := exec.Command(filepath.Join(binDir, tg.bin), args...)
	w := newWatcher()
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", tg.name, err)
	}
	s := &server{
		name:   tg.name,
		cmd:    cmd,
		out:    w,
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}},
		exited: make(chan struct{}),
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.client.CloseIdleConnections()
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", tg.name, w.String())
		}
	})

	select {
	case s.url = <-w.url:
	case <-s.exited:
		t.Fatalf("%s exited before listening: %v\n%s", tg.name, s.err, w.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not announce its address within 20s:\n%s", tg.name, w.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := s.client.Get(s.url + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok" {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /healthz did not answer 200 ok within 10s (last error %v)", tg.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits up to wait for the process to exit.
func (s *server) stop(t *testing.T, wait time.Duration) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signalling %s: %v", s.name, err)
	}
	select {
	case <-s.exited:
		return time.Since(start), s.err
	case <-time.After(wait):
		t.Fatalf("%s did not exit within %v of SIGTERM:\n%s", s.name, wait, s.out.String())
		return 0, nil
	}
}

// announceRE matches the line every example server prints once it listens.
var announceRE = regexp.MustCompile(`open (http://[0-9.:\[\]a-z]+)/`)

// watcher collects a process's output and reports the URL it announces.
type watcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	url  chan string
	sent bool
}

func newWatcher() *watcher { return &watcher{url: make(chan string, 1)} }

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		if m := announceRE.FindSubmatch(w.buf.Bytes()); m != nil {
			w.sent = true
			w.url <- string(m[1])
		}
	}
	return len(p), nil
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// get sends a GET with the given header pairs and fails the test on a
// transport error. The caller closes the body.
func (s *server) get(t *testing.T, path string, header ...string) *http.Response {
	t.Helper()
	return s.do(t, http.MethodGet, path, "", nil, header...)
}

func (s *server) do(t *testing.T, method, path, contentType string, body io.Reader, header ...string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// text reads a whole response and closes it.
func text(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return string(b)
}
