// Package natstest runs throwaway nats-server processes with JetStream for
// tests: each listens on a free loopback port, keeps its JetStream store in
// a temporary directory, serves its monitoring endpoints on another free
// port, and is stopped when the test ends. [Server] can also kill it,
// restart it with or without its store, and pause it, to test what a
// client does when NATS fails.
//
// When nats-server is not in PATH, the test is skipped with a message
// saying how to install it (apt-get install nats-server), except under
// CI=true, where it fails: a CI machine must run these tests. Any
// nats-server from 2.9 on will do.
//
// The package uses only the standard library, so that any module's tests
// may use it.
package natstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to report itself healthy.
const startTimeout = 15 * time.Second

// Server is a nats-server process started for a test. Its methods are
// safe for concurrent use.
type Server struct {
	t       testing.TB
	bin     string
	store   string
	port    int
	monPort int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	out    *syncBuffer
}

// Start starts a nats-server for t and returns its URL
// ("nats://127.0.0.1:port") and a function that stops it. The server is
// stopped at the end of the test too; calling stop earlier is allowed, and
// so is calling it twice.
func Start(t testing.TB) (url string, stop func()) {
	t.Helper()
	s := NewServer(t)
	return s.URL(), s.Stop
}

// NewServer starts a nats-server with JetStream for t on a free loopback
// port, and registers its Stop with t.Cleanup. It skips t when
// nats-server is missing, or fails it under CI=true, and fails t if the
// server does not start.
func NewServer(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		const msg = "natstest: nats-server not found in PATH; install it with `apt-get install nats-server` to run the tests that need NATS"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{t: t, bin: bin, store: filepath.Join(t.TempDir(), "jetstream")}
	t.Cleanup(s.Stop)
	// A free port may be taken between finding it and binding it: try a
	// few.
	for attempt := 1; ; attempt++ {
		s.port, s.monPort = freePort(t), freePort(t)
		err := s.start()
		if err == nil {
			return s
		}
		if attempt == 3 {
			t.Fatalf("natstest: %v", err)
		}
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("natstest: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr returns the server's client address, "127.0.0.1:port". It stays
// the same across restarts.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL returns the server's address as a nats:// URL.
func (s *Server) URL() string { return "nats://" + s.Addr() }

// MonitorURL returns the base URL of the server's monitoring endpoints
// ("http://127.0.0.1:port"), such as /connz and /jsz.
func (s *Server) MonitorURL() string { return "http://127.0.0.1:" + strconv.Itoa(s.monPort) }

// StoreDir returns the directory that holds the server's JetStream store.
func (s *Server) StoreDir() string { return s.store }

// start runs nats-server and waits until it reports itself healthy.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	cmd := exec.Command(s.bin,
		"-a", "127.0.0.1",
		"-p", strconv.Itoa(s.port),
		"-m", strconv.Itoa(s.monPort),
		"-js",
		"-sd", s.store,
	)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		err := healthy(s.MonitorURL())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("nats-server on port %d was not healthy within %v: %v\n%s", s.port, startTimeout, err, out.String())
		}
		select {
		case <-exited:
			return fmt.Errorf("nats-server on port %d exited at start:\n%s", s.port, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.cmd, s.exited, s.out = cmd, exited, out
	return nil
}

var client = &http.Client{Timeout: 2 * time.Second}

// healthy asks the server's /healthz whether it serves clients and
// JetStream.
func healthy(monitor string) error {
	resp, err := client.Get(monitor + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz: %s %s", resp.Status, body)
	}
	return nil
}

// Stop kills the server (SIGKILL) and waits for it to exit. Every
// connection to it breaks at once, as when the server crashes; its store
// stays on disk. It is idempotent; Restart starts the server again.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill() // works on a paused process too
	<-s.exited
	s.cmd = nil
}

// Restart kills the server if it runs and starts it again on the same
// ports with the same JetStream store, as after a crash. It fails the test
// if the server does not start.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("natstest: restart: %v", err)
	}
}

// RestartEmpty kills the server if it runs, deletes its JetStream store,
// and starts it again on the same ports, as after losing the machine's
// disk: every stream is gone.
func (s *Server) RestartEmpty() {
	s.t.Helper()
	s.Stop()
	if err := os.RemoveAll(s.store); err != nil {
		s.t.Fatalf("natstest: deleting the store: %v", err)
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("natstest: restart: %v", err)
	}
}

// Pause freezes the server (SIGSTOP) and returns once it is stopped:
// connections stay open but nothing is answered, as when the server hangs
// or the network drops packets. Resume ends it; Stop works on a paused
// server too.
func (s *Server) Pause() {
	s.signal(syscall.SIGSTOP)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	// A signal is delivered asynchronously; on Linux, wait until every
	// thread has stopped.
	stat := "/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/task"
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !allStopped(stat) {
		time.Sleep(time.Millisecond)
	}
}

// allStopped reports whether every thread listed under the /proc task
// directory dir is stopped, or whether that cannot be known.
func allStopped(dir string) bool {
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, task.Name(), "stat"))
		if err != nil {
			continue
		}
		// The state follows the command name in parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			continue
		}
		if st := b[i+2]; st != 'T' && st != 't' {
			return false
		}
	}
	return true
}

// Resume lets a paused server go on (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Errorf("natstest: signal %v: %v", sig, err)
	}
}

// Conn is a client connection as the server's /connz lists it.
type Conn struct {
	CID           uint64 `json:"cid"`
	Name          string `json:"name"`
	Subscriptions uint32 `json:"subscriptions_list_count"`
	NumSubs       uint32 `json:"subscriptions"`
}

// Conns returns the server's open client connections, from its /connz
// endpoint. It fails the test if the endpoint does not answer.
func (s *Server) Conns() []Conn {
	s.t.Helper()
	resp, err := client.Get(s.MonitorURL() + "/connz?limit=100000")
	if err != nil {
		s.t.Fatalf("natstest: /connz: %v", err)
	}
	defer resp.Body.Close()
	var v struct {
		Conns []Conn `json:"connections"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		s.t.Fatalf("natstest: /connz: %v", err)
	}
	return v.Conns
}

// Output returns what the running server has logged, for failure messages.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

// syncBuffer is a bytes.Buffer that the process's output copier and a test
// may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
