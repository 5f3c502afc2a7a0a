package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
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

// hidingConn is a Conn on a net/http server's context whose write deadline
// is out of reach, as behind a wrapper without Unwrap.
type hidingConn struct {
	streamtest.Discard
	ctx context.Context
}

func (c hidingConn) SetWriteDeadline(time.Time) error {
	return fmt.Errorf("core_test.hidingConn hides the deadline: %w", errors.ErrUnsupported)
}

func (c hidingConn) Context() context.Context { return c.ctx }

// The client may leave while the first flush finds the deadline hidden and
// notes when the server's WriteTimeout will cut the stream: the stream
// ends as the client's leaving, long before that cut, with no data race
// between the flush and the end.
func TestHiddenDeadlineWhileTheClientLeaves(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer slog.SetDefault(prev)
	srv := &http.Server{WriteTimeout: time.Hour}
	for range 50 {
		core.ForgetHiddenDeadlineReports()
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), http.ServerContextKey, srv))
		s, err := core.New(hidingConn{ctx: ctx}, nil)
		if err != nil {
			t.Fatal(err)
		}
		left := make(chan struct{})
		go func() {
			defer close(left)
			cancel()
		}()
		s.Write([]byte("data: x\n\n")) //nolint:errcheck // may fail: the client is leaving
		<-s.Context().Done()
		<-left
		if err := s.Err(); !errors.Is(err, core.ErrClientGone) || errors.Is(err, core.ErrServerTimeout) {
			t.Fatalf("the stream ended with %v, want ErrClientGone", err)
		}
		s.Close()
	}
}

// lateHidingConn sets the first write deadline it is asked for and hides
// every later one; once told to, it fails writes.
type lateHidingConn struct {
	streamtest.Discard
	ctx       context.Context
	deadlines int
	fail      bool
}

func (c *lateHidingConn) SetWriteDeadline(time.Time) error {
	c.deadlines++
	if c.deadlines > 1 {
		return fmt.Errorf("core_test.lateHidingConn hides the deadline: %w", errors.ErrUnsupported)
	}
	return nil
}

func (c *lateHidingConn) Write(p []byte) (int, error) {
	if c.fail {
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

func (c *lateHidingConn) Context() context.Context { return c.ctx }

// A deadline the stream did set replaced the server's WriteTimeout: when
// it is hidden only later, a write failing past that deadline is the
// stream's own write timeout, not the server's cut.
func TestHiddenAfterADeadlineWasSet(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer slog.SetDefault(prev)
	core.ForgetHiddenDeadlineReports()
	srv := &http.Server{WriteTimeout: time.Nanosecond}
	c := &lateHidingConn{ctx: context.WithValue(context.Background(), http.ServerContextKey, srv)}
	const timeout = 8 * time.Millisecond
	s, err := core.New(c, &core.Options{WriteTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	// Past the renewal, which finds the deadline hidden, and past the
	// deadline set by the first flush.
	for c.deadlines < 2 {
		time.Sleep(3 * timeout)
		if _, err := s.Write([]byte("more\n")); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * timeout)
	c.fail = true
	_, err = s.Write([]byte("last\n"))
	if !errors.Is(err, core.ErrWriteTimeout) || errors.Is(err, core.ErrServerTimeout) {
		t.Fatalf("the write failed with %v, want ErrWriteTimeout", err)
	}
}
