package upload_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/upload"
)

// sleepy is a body that waits before every byte it returns.
type sleepy struct {
	left  int
	pause time.Duration
}

func (s *sleepy) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	s.left--
	p[0] = 'x'
	return 1, nil
}

// TestPaceWithoutDeadline checks the bounds on a body whose reads cannot be
// interrupted: a read that returns after the bound fails with ErrTooSlow
// (the pause is far longer than the bound, so this holds however loaded
// the machine), and a body read from memory passes bounds it cannot miss.
func TestPaceWithoutDeadline(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		_, err := consume(io.Discard, &sleepy{left: 3, pause: 300 * time.Millisecond}, "", -1,
			&upload.Options{ReadIdleTimeout: 20 * time.Millisecond})
		if !errors.Is(err, upload.ErrTooSlow) || upload.Status(err) != http.StatusRequestTimeout {
			t.Fatalf("err = %v (status %d), want ErrTooSlow and 408", err, upload.Status(err))
		}
	})
	t.Run("rate", func(t *testing.T) {
		// Every read comes well within the idle bound, but a byte per 10ms
		// is far below 1000 bytes/s once the grace of a second is over.
		_, err := consume(io.Discard, &sleepy{left: 1000, pause: 10 * time.Millisecond}, "", -1,
			&upload.Options{ReadIdleTimeout: time.Second, MinRate: 1000})
		if err == nil {
			t.Fatal("a body trickling a byte per 30ms passed a rate of 1000 bytes/s")
		}
		_, err = consume(io.Discard, &sleepy{left: 1000, pause: 0}, "", -1,
			&upload.Options{ReadIdleTimeout: 10 * time.Second, MinRate: 1})
		if err != nil {
			t.Fatalf("a body in memory: %v", err)
		}
	})
	t.Run("fast", func(t *testing.T) {
		n, err := consume(io.Discard, strings.NewReader(strings.Repeat("x", 1<<20)), "", 1<<20,
			&upload.Options{ReadIdleTimeout: 10 * time.Second, MinRate: 1 << 10})
		if err != nil || n != 1<<20 {
			t.Fatalf("= %d, %v; want the whole body", n, err)
		}
	})
}

// paceServer serves uploads on net/http with the bounds set through the
// response controller, and after the body waits past the idle bound before
// it answers, so that a deadline left on the connection would show.
func paceServer(t *testing.T, opts upload.Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := opts
		o.SetReadDeadline = http.NewResponseController(w).SetReadDeadline
		u, err := upload.Read(r, &o)
		var n int64
		if err == nil {
			n, err = io.Copy(io.Discard, u)
		}
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err))
			return
		}
		select {
		case <-time.After(3 * o.ReadIdleTimeout):
		case <-r.Context().Done():
			http.Error(w, fmt.Sprint("the request ended after the body: ", r.Context().Err()), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%d", n)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// rawUpload sends the header of an upload of length bytes, then what send
// writes, and returns the status line of the answer.
func rawUpload(t *testing.T, url string, length int, send func(net.Conn)) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", length)
	go send(c)
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return strings.TrimSpace(line)
}

// TestPaceOverHTTP checks the bounds on a live net/http server, where the
// read deadline interrupts a read that waits: a client that stops sending,
// and one that trickles, get 408; one that sends at once gets its answer
// even though the handler answers long after the body ended.
func TestPaceOverHTTP(t *testing.T) {
	const idle = 200 * time.Millisecond
	srv := paceServer(t, upload.Options{ReadIdleTimeout: idle, MinRate: 10 << 10})
	t.Run("stalled", func(t *testing.T) {
		got := rawUpload(t, srv.URL, 1000, func(c net.Conn) { c.Write([]byte("abc")) })
		if !strings.Contains(got, " 408 ") {
			t.Fatalf("got %q, want 408", got)
		}
	})
	t.Run("trickle", func(t *testing.T) {
		stop := make(chan struct{})
		defer close(stop)
		got := rawUpload(t, srv.URL, 1<<20, func(c net.Conn) {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := c.Write([]byte("x")); err != nil {
						return
					}
				}
			}
		})
		if !strings.Contains(got, " 408 ") {
			t.Fatalf("got %q, want 408", got)
		}
	})
	t.Run("prompt", func(t *testing.T) {
		resp, err := http.Post(srv.URL, "application/octet-stream", strings.NewReader(strings.Repeat("x", 64<<10)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "65536" {
			t.Fatalf("= %d %q, want 200 \"65536\"", resp.StatusCode, body)
		}
	})
}
