package core_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
)

// deadlineHider wraps a response writer the way gin-contrib/gzip does: it
// can flush, but has no Unwrap, so the connection's deadline is out of
// reach.
type deadlineHider struct{ http.ResponseWriter }

func (h deadlineHider) Flush() { http.NewResponseController(h.ResponseWriter).Flush() }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A stream behind a wrapper that hides the write deadline is cut by the
// server's WriteTimeout: the stream says so once, naming the wrapper, and
// reports the server's timeout as the cause, not the client.
func TestHiddenDeadlineIsReported(t *testing.T) {
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	core.ForgetHiddenDeadlineReports()

	const writeTimeout = time.Second
	ended := make(chan error, 2)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(deadlineHider{w}, r)
		if err != nil {
			ended <- err
			return
		}
		s, err := core.New(c, &core.Options{})
		if err != nil {
			ended <- err
			return
		}
		defer s.Close()
		for s.Err() == nil {
			s.Write([]byte("tick\n"))
			time.Sleep(20 * time.Millisecond)
		}
		ended <- s.Err()
	}))
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	defer srv.Close()

	for range 2 {
		res, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body) // reads until the server cuts it
		res.Body.Close()
		select {
		case err := <-ended:
			if !errors.Is(err, core.ErrServerTimeout) {
				t.Errorf("stream ended with %v, want ErrServerTimeout", err)
			}
			if errors.Is(err, core.ErrClientGone) {
				t.Errorf("the client was blamed: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the stream never ended")
		}
	}
	out := logs.String()
	if n := strings.Count(out, "core_test.deadlineHider hides"); n != 1 {
		t.Errorf("the hidden deadline was reported %d times over two streams, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "WriteTimeout (1s)") || !strings.Contains(out, "WithBase") {
		t.Errorf("the report does not say what cuts the stream and what to do:\n%s", out)
	}
}

// WithBase reaches the deadline beneath the wrapper: the server's
// WriteTimeout no longer cuts the stream, and nothing is reported.
func TestWithBaseLiftsServerTimeout(t *testing.T) {
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(deadlineHider{w}, r)
		if err != nil {
			t.Error(err)
			return
		}
		s, err := core.New(c.WithBase(w), &core.Options{})
		if err != nil {
			t.Error(err)
			return
		}
		defer s.Close()
		for i := 0; i < 30 && s.Err() == nil; i++ {
			s.Write([]byte("tick\n"))
			time.Sleep(20 * time.Millisecond)
		}
	}))
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if got := strings.Count(string(body), "tick\n"); got != 30 {
		t.Errorf("got %d ticks, want 30 past the server's WriteTimeout", got)
	}
	if logs.String() != "" {
		t.Errorf("unexpected report: %s", logs.String())
	}
}
