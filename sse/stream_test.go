package sse_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/internal/livetest"
	"github.com/streamkit/streamkit/sse"
)

// get sends a GET with a time limit; the response body is closed when the
// test ends.
func get(t *testing.T, client *http.Client, url string, header http.Header) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", url, err)
	}
	t.Cleanup(func() {
		resp.Body.Close()
		cancel()
	})
	return resp, cancel
}

// openStream is the start of every streaming handler below.
func openStream(w http.ResponseWriter, r *http.Request, opts *sse.Options) (*sse.Stream, error) {
	c, err := core.NewHTTPConn(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, err
	}
	return sse.NewStream(c, opts)
}

// TestStreamLive proves that events are streamed: the client reads event 1
// while the handler is still waiting to write event 2.
func TestStreamLive(t *testing.T) {
	for _, p := range livetest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			proceed := make(chan struct{})
			handlerErr := make(chan error, 1)
			srv, client := livetest.Serve(t, p.H2, func(w http.ResponseWriter, r *http.Request) {
				s, err := openStream(w, r, &sse.Options{Retry: 1500 * time.Millisecond})
				if err != nil {
					handlerErr <- err
					return
				}
				defer s.Close()
				if err := s.Send(&sse.Event{ID: "1", Type: "tick", Data: "one"}); err != nil {
					handlerErr <- err
					return
				}
				select {
				case <-proceed:
				case <-s.Context().Done():
					handlerErr <- fmt.Errorf("stream ended before event 2: %w", s.Err())
					return
				}
				err = s.Send(&sse.Event{ID: "2", Data: "two\r\nlines"})
				if err == nil {
					err = s.Close()
				}
				handlerErr <- err
			})
			resp, _ := get(t, client, srv.URL, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			if p.H2 != (resp.ProtoMajor == 2) {
				t.Fatalf("protocol %s, want %s", resp.Proto, p.Name)
			}
			for key, want := range map[string]string{
				"Content-Type":      sse.ContentType,
				"Cache-Control":     "no-cache",
				"X-Accel-Buffering": "no",
				"Connection":        "",
			} {
				if got := resp.Header.Get(key); got != want {
					t.Errorf("header %s = %q, want %q", key, got, want)
				}
			}

			rd := sse.NewReader(resp.Body, nil)
			ev, err := rd.Next()
			if want := (sse.ParsedEvent{ID: "1", IDSet: true, Type: "tick", Data: "one"}); err != nil || ev != want {
				t.Fatalf("event 1 = %+v, %v; want %+v", ev, err, want)
			}
			if d, ok := rd.Retry(); d != 1500*time.Millisecond || !ok {
				t.Errorf("initial retry = %v, %v; want 1.5s", d, ok)
			}
			close(proceed)
			ev, err = rd.Next()
			if want := (sse.ParsedEvent{ID: "2", IDSet: true, Type: "message", Data: "two\nlines"}); err != nil || ev != want {
				t.Fatalf("event 2 = %+v, %v; want %+v", ev, err, want)
			}
			if ev, err := rd.Next(); err != io.EOF {
				t.Errorf("after event 2: %+v, %v; want io.EOF", ev, err)
			}
			if err := <-handlerErr; err != nil {
				t.Errorf("handler: %v", err)
			}
		})
	}
}

// TestStreamWire checks the exact bytes of every kind of message.
func TestStreamWire(t *testing.T) {
	pre, err := sse.AppendEvent(nil, &sse.Event{ID: "pre", Data: "encoded once"})
	if err != nil {
		t.Fatal(err)
	}
	upper := func(v any) ([]byte, error) { return []byte(strings.ToUpper(fmt.Sprint(v))), nil }
	handlerErr := make(chan error, 1)
	srv, client := livetest.Serve(t, false, func(w http.ResponseWriter, r *http.Request) {
		handlerErr <- func() error {
			s, err := openStream(w, r, &sse.Options{Retry: 2 * time.Second, Heartbeat: -1, Marshal: upper})
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.Send(&sse.Event{ID: "bad\n"}); !errors.Is(err, sse.ErrInvalidField) {
				return fmt.Errorf("Send of a bad id: %v, want ErrInvalidField", err)
			}
			if err := sse.SendJSON(s, &sse.Event{Type: "bad\r"}, "x"); !errors.Is(err, sse.ErrInvalidField) {
				return fmt.Errorf("SendJSON of a bad type: %v, want ErrInvalidField", err)
			}
			for _, step := range []func() error{
				func() error { return s.Send(&sse.Event{Data: "hi"}) },
				func() error { return s.Send(&sse.Event{Data: ""}) },
				func() error { return s.Comment("a\nb") },
				func() error { return s.Comment("") },
				func() error { _, err := s.Core().Write(pre); return err },
				func() error { return sse.SendJSON(s, &sse.Event{ID: "j", Type: "json"}, "value") },
				func() error { return sse.SendJSON(s, nil, 7) },
				func() error { return s.Send(&sse.Event{Comment: "control", Retry: time.Second}) },
				s.Flush,
			} {
				if err := step(); err != nil {
					return err
				}
			}
			if err := s.Close(); err != nil {
				return err
			}
			if !errors.Is(s.Err(), core.ErrClosed) {
				return fmt.Errorf("Err after Close = %v, want core.ErrClosed", s.Err())
			}
			if err := s.Send(&sse.Event{Data: "late"}); !errors.Is(err, core.ErrClosed) {
				return fmt.Errorf("Send after Close = %v, want core.ErrClosed", err)
			}
			if s.Core() == nil || s.Context().Err() == nil {
				return errors.New("Core or Context wrong after Close")
			}
			select {
			case <-s.Context().Done():
			default:
				return errors.New("Done not closed after Close")
			}
			return nil
		}()
	})
	resp, _ := get(t, client, srv.URL, nil)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-handlerErr; err != nil {
		t.Fatalf("handler: %v", err)
	}
	want := "retry: 2000\n\n" +
		"data: hi\n\n" +
		"data: \n\n" +
		": a\n: b\n\n" +
		": \n\n" +
		"id: pre\ndata: encoded once\n\n" +
		"id: j\nevent: json\ndata: VALUE\n\n" +
		"data: 7\n\n" +
		": control\nretry: 1000\n\n"
	if string(body) != want {
		t.Errorf("body\n%q\nwant\n%q", body, want)
	}
}

// TestStreamConcurrentSend sends from several goroutines at once; every
// event must arrive whole.
func TestStreamConcurrentSend(t *testing.T) {
	const senders, each = 4, 50
	srv, client := livetest.Serve(t, false, func(w http.ResponseWriter, r *http.Request) {
		s, err := openStream(w, r, &sse.Options{Flush: core.FlushPolicy{MaxBytes: 512, MaxDelay: time.Millisecond}})
		if err != nil {
			return
		}
		defer s.Close()
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				for i := range each {
					data := fmt.Sprintf("sender %d\nevent %d\r\nend", g, i)
					if err := s.Send(&sse.Event{ID: fmt.Sprint(g, "-", i), Data: data}); err != nil {
						return
					}
				}
			})
		}
		wg.Wait()
	})
	resp, _ := get(t, client, srv.URL, nil)
	seen := map[string]bool{}
	for ev, err := range sse.NewReader(resp.Body, nil).All() {
		if err != nil {
			t.Fatal(err)
		}
		var g, i int
		if _, err := fmt.Sscanf(ev.Data, "sender %d\nevent %d\nend", &g, &i); err != nil || ev.ID != fmt.Sprint(g, "-", i) {
			t.Fatalf("garbled event %+v (%v)", ev, err)
		}
		seen[ev.ID] = true
	}
	if len(seen) != senders*each {
		t.Errorf("got %d distinct events, want %d", len(seen), senders*each)
	}
}

func TestStreamHeartbeat(t *testing.T) {
	for _, p := range livetest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			handlerDone := make(chan struct{})
			srv, client := livetest.Serve(t, p.H2, func(w http.ResponseWriter, r *http.Request) {
				defer close(handlerDone)
				s, err := openStream(w, r, &sse.Options{Heartbeat: 10 * time.Millisecond})
				if err != nil {
					return
				}
				defer s.Close()
				<-s.Context().Done() // until the client leaves
			})
			resp, cancel := get(t, client, srv.URL, nil)
			br := bufio.NewReader(resp.Body)
			var got strings.Builder
			for range 3 {
				for _, want := range []string{":\n", "\n"} {
					line, err := br.ReadString('\n')
					got.WriteString(line)
					if err != nil || line != want {
						t.Fatalf("read %q, %v after %q; want heartbeats", line, err, got.String())
					}
				}
			}
			cancel()
			select {
			case <-handlerDone:
			case <-time.After(5 * time.Second):
				t.Fatal("handler did not see the client leave")
			}
		})
	}
}

func TestStreamShutdownFarewell(t *testing.T) {
	for _, p := range livetest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			reg := &core.Registry{ShutdownSpread: time.Millisecond}
			ended := make(chan error, 2)
			srv, client := livetest.Serve(t, p.H2, func(w http.ResponseWriter, r *http.Request) {
				s, err := openStream(w, r, &sse.Options{Registry: reg, ShutdownRetry: 4 * time.Second})
				if err != nil {
					ended <- err
					return
				}
				defer s.Close()
				if err := s.Send(&sse.Event{Data: "hello"}); err != nil {
					ended <- err
					return
				}
				<-s.Context().Done()
				ended <- s.Err()
			})
			resp, _ := get(t, client, srv.URL, nil)
			var comments []string
			rd := sse.NewReader(resp.Body, &sse.ReaderOptions{OnComment: func(c string) { comments = append(comments, c) }})
			if ev, err := rd.Next(); err != nil || ev.Data != "hello" {
				t.Fatalf("first event = %+v, %v", ev, err)
			}
			shutdown := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				shutdown <- reg.Shutdown(ctx)
			}()
			if ev, err := rd.Next(); err != io.EOF {
				t.Fatalf("after shutdown: %+v, %v; want the farewell then io.EOF", ev, err)
			}
			if d, ok := rd.Retry(); d != 4*time.Second || !ok {
				t.Errorf("farewell retry = %v, %v; want 4s", d, ok)
			}
			if len(comments) != 1 || comments[0] != "server shutting down, reconnect later" {
				t.Errorf("farewell comments %q", comments)
			}
			if err := <-shutdown; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if err := <-ended; !errors.Is(err, core.ErrShutdown) {
				t.Errorf("stream ended with %v, want core.ErrShutdown", err)
			}

			// Once shut down, NewStream passes core's refusal through.
			resp2, _ := get(t, client, srv.URL, nil)
			if resp2.StatusCode != http.StatusServiceUnavailable || resp2.Header.Get("Retry-After") == "" {
				t.Errorf("after shutdown: status %d, Retry-After %q; want 503 with Retry-After", resp2.StatusCode, resp2.Header.Get("Retry-After"))
			}
			if err := <-ended; !errors.Is(err, core.ErrShutdown) {
				t.Errorf("NewStream after shutdown: %v, want core.ErrShutdown", err)
			}
		})
	}
}

func TestStreamLifetimeFarewell(t *testing.T) {
	ended := make(chan error, 1)
	srv, client := livetest.Serve(t, false, func(w http.ResponseWriter, r *http.Request) {
		s, err := openStream(w, r, &sse.Options{MaxLifetime: 20 * time.Millisecond, ShutdownRetry: -1})
		if err != nil {
			ended <- err
			return
		}
		defer s.Close()
		<-s.Context().Done()
		ended <- s.Err()
	})
	resp, _ := get(t, client, srv.URL, nil)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := ": stream lifetime reached, reconnect\n\n"; string(body) != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if err := <-ended; !errors.Is(err, core.ErrLifetime) {
		t.Errorf("stream ended with %v, want core.ErrLifetime", err)
	}
}

func TestStreamRefused(t *testing.T) {
	reg := &core.Registry{Limit: 1}
	release := make(chan struct{})
	errs := make(chan error, 2)
	srv, client := livetest.Serve(t, false, func(w http.ResponseWriter, r *http.Request) {
		s, err := openStream(w, r, &sse.Options{Registry: reg})
		if err != nil {
			errs <- err
			return
		}
		defer s.Close()
		select {
		case <-release:
		case <-s.Context().Done():
		}
	})
	defer close(release)
	first, _ := get(t, client, srv.URL, nil)
	if first.StatusCode != http.StatusOK {
		t.Fatalf("first stream: status %d", first.StatusCode)
	}
	second, _ := get(t, client, srv.URL, nil)
	if second.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second stream: status %d, want 503", second.StatusCode)
	}
	if err := <-errs; !errors.Is(err, core.ErrTooManyStreams) {
		t.Errorf("NewStream past the limit: %v, want core.ErrTooManyStreams", err)
	}
}

func TestNoContent(t *testing.T) {
	for _, p := range livetest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			errs := make(chan error, 1)
			srv, client := livetest.Serve(t, p.H2, func(w http.ResponseWriter, r *http.Request) {
				c, err := core.NewHTTPConn(w, r)
				if err == nil {
					err = sse.NoContent(c)
				}
				errs <- err
			})
			resp, _ := get(t, client, srv.URL, nil)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
				t.Errorf("status %d, body %q; want 204 and nothing", resp.StatusCode, body)
			}
			if err := <-errs; err != nil {
				t.Errorf("NoContent: %v", err)
			}
		})
	}
}

func TestLastEventIDLive(t *testing.T) {
	srv, client := livetest.Serve(t, false, func(w http.ResponseWriter, r *http.Request) {
		id, err := sse.LastEventID(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%q", id)
	})
	long := strings.Repeat("x", 10<<10)
	tests := []struct {
		name   string
		header string
		query  string
		want   string
	}{
		{"none", "", "", ""},
		{"header", "42", "", "42"},
		{"unicode header", "…-7", "", "…-7"},
		{"query", "", "lastEventId=7", "7"},
		{"header wins", "42", "lastEventId=7", "42"},
		{"10 KB header", long, "", ""},
		{"10 KB header falls back to query", long, "lastEventId=7", "7"},
		{"10 KB query", "", "lastEventId=" + long, ""},
		{"NUL in query", "", "lastEventId=a%00b", ""},
		{"CR LF in query", "", "lastEventId=a%0D%0Ab", ""},
		{"invalid UTF-8 in query", "", "lastEventId=%FF", ""},
		{"invalid UTF-8 header", "\xff\xfe", "", ""},
		{"escaped query", "", "lastEventId=" + url.QueryEscape("a b&c"), "a b&c"},
		{"malformed query", "", "lastEventId=%zz", "400"},
		{"semicolon in query", "", "a=1;b=2&lastEventId=7", "400"},
		{"malformed query under a usable header", "42", "lastEventId=%zz", "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Last-Event-ID", tt.header)
			}
			resp, _ := get(t, client, srv.URL+"/?"+tt.query, h)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "400" {
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("status %d (body %s), want 400", resp.StatusCode, body)
				}
				return
			}
			if want := fmt.Sprintf("%q", tt.want); string(body) != want {
				t.Errorf("got %s, want %s", body, want)
			}
		})
	}
}

// failingConn fails where the test says; the real connections above cannot
// be made to fail at a chosen step.
type failingConn struct {
	streamtest.Discard
	startErr, flushErr error
}

func (c failingConn) Start(int) error { return c.startErr }
func (c failingConn) Flush() error    { return c.flushErr }

func TestConnErrors(t *testing.T) {
	boom := errors.New("boom")
	t.Run("NewStream cannot send headers", func(t *testing.T) {
		for _, opts := range []*sse.Options{nil, {Retry: time.Second}} {
			s, err := sse.NewStream(failingConn{flushErr: boom}, opts)
			if s != nil || !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "sse: send headers: ") {
				t.Errorf("NewStream = %v, %v; want nil and sse: send headers: wrapping boom", s, err)
			}
		}
	})
	t.Run("NoContent start", func(t *testing.T) {
		if err := sse.NoContent(failingConn{startErr: boom}); !errors.Is(err, boom) {
			t.Errorf("NoContent = %v, want boom", err)
		}
	})
	t.Run("NoContent flush", func(t *testing.T) {
		if err := sse.NoContent(failingConn{flushErr: boom}); !errors.Is(err, boom) {
			t.Errorf("NoContent = %v, want boom", err)
		}
	})
}
