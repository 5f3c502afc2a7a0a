package natstest_test

import (
	"bufio"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

// info connects to addr and returns the server's greeting line, waiting at
// most timeout.
func info(addr string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	pong, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return line + pong, nil
}

func TestServerLifecycle(t *testing.T) {
	s := natstest.NewServer(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.URL() != "nats://"+s.Addr() {
		t.Fatalf("Addr %q, URL %q; want a loopback address and its nats:// URL", s.Addr(), s.URL())
	}
	got, err := info(s.Addr(), 2*time.Second)
	if err != nil || !strings.HasPrefix(got, "INFO ") || !strings.Contains(got, `"jetstream":true`) || !strings.HasSuffix(got, "PONG\r\n") {
		t.Fatalf("greeting = %q, %v; want INFO with JetStream, then PONG", got, err)
	}
	probe, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	_ = probe.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := probe.Write([]byte("CONNECT {\"name\":\"probe\",\"verbose\":false}\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(probe)
	for line := ""; line != "PONG\r\n"; {
		if line, err = r.ReadString('\n'); err != nil {
			t.Fatalf("reading the probe's PONG: %v", err)
		}
	}
	found := false
	for _, c := range s.Conns() {
		found = found || c.Name == "probe"
	}
	if !found {
		t.Errorf("/connz = %+v; want the connection named probe", s.Conns())
	}
	probe.Close()

	s.Stop()
	if _, err := info(s.Addr(), 2*time.Second); err == nil {
		t.Fatalf("a connection after Stop succeeded; want it refused")
	}
	s.Stop() // idempotent

	s.Restart()
	if _, err := info(s.Addr(), 2*time.Second); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
	if _, err := os.Stat(s.StoreDir()); err != nil {
		t.Errorf("store after Restart: %v; want it kept", err)
	}

	s.Pause()
	if _, err := info(s.Addr(), 300*time.Millisecond); err == nil {
		t.Errorf("a paused server answered; want a timeout")
	}
	s.Resume()
	if _, err := info(s.Addr(), 2*time.Second); err != nil {
		t.Errorf("after Resume: %v", err)
	}

	s.RestartEmpty()
	if _, err := info(s.Addr(), 2*time.Second); err != nil {
		t.Errorf("after RestartEmpty: %v", err)
	}
}

func TestStart(t *testing.T) {
	url, stop := natstest.Start(t)
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("URL = %q", url)
	}
	stop()
	stop()
}

func TestProxyCut(t *testing.T) {
	s := natstest.NewServer(t)
	p := natstest.NewProxy(t, s.Addr())
	if p.URL() != "nats://"+p.Addr() {
		t.Fatalf("URL %q", p.URL())
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "INFO ") {
		t.Fatalf("through the proxy: %q, %v; want the server's INFO", line, err)
	}
	p.Cut()
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatalf("read after Cut succeeded; want the connection closed")
	}
	if _, err := info(p.Addr(), 2*time.Second); err != nil {
		t.Fatalf("a new connection after Cut: %v", err)
	}
}
