package redistest_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

// command sends one inline command to addr and returns the first line of
// the answer, waiting at most timeout.
func command(addr, cmd string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

func TestServerLifecycle(t *testing.T) {
	s := redistest.NewServer(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.URL() != "redis://"+s.Addr()+"/0" {
		t.Fatalf("Addr %q, URL %q; want a loopback address and its redis:// URL", s.Addr(), s.URL())
	}
	if got, err := command(s.Addr(), "SET k v", 2*time.Second); err != nil || got != "+OK" {
		t.Fatalf("SET = %q, %v; want +OK", got, err)
	}

	s.Stop()
	if _, err := command(s.Addr(), "PING", 2*time.Second); err == nil {
		t.Fatalf("PING after Stop succeeded; want a refused connection")
	}
	s.Stop() // idempotent

	s.Restart()
	if got, err := command(s.Addr(), "EXISTS k", 2*time.Second); err != nil || got != ":0" {
		t.Errorf("EXISTS k after Restart = %q, %v; want :0 (an empty server)", got, err)
	}

	s.Pause()
	if _, err := command(s.Addr(), "PING", 200*time.Millisecond); err == nil {
		t.Errorf("PING to a paused server was answered; want a timeout")
	}
	s.Resume()
	if got, err := command(s.Addr(), "PING", 2*time.Second); err != nil || got != "+PONG" {
		t.Errorf("PING after Resume = %q, %v; want +PONG", got, err)
	}
}

func TestStart(t *testing.T) {
	addr, stop := redistest.Start(t)
	if got, err := command(addr, "PING", 2*time.Second); err != nil || got != "+PONG" {
		t.Fatalf("PING = %q, %v; want +PONG", got, err)
	}
	stop()
	stop()
}
