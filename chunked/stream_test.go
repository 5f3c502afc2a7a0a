package chunked_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"

	"github.com/streamkit/streamkit/internal/livetest"
)

// TestStreamIncremental proves bytes are delivered as they are written: the
// client reads the first part while the handler waits to write the second,
// which it does only once the client has the first.
func TestStreamIncremental(t *testing.T) {
	for _, tr := range livetest.Protocols {
		t.Run(tr.Name, func(t *testing.T) {
			next := make(chan struct{})
			h := streamHandler(t, nil, func(s *chunked.Stream, r *http.Request) {
				if _, err := s.Write([]byte("part 1\n")); err != nil {
					t.Errorf("Write 1: %v", err)
					return
				}
				select {
				case <-next:
				case <-r.Context().Done():
					return
				}
				if _, err := s.Write([]byte("part 2\n")); err != nil {
					t.Errorf("Write 2: %v", err)
				}
			})
			srv, client := livetest.Serve(t, tr.H2, h)
			resp := get(t, client, srv.URL)
			if got := resp.Header.Get("Content-Type"); got != chunked.DefaultContentType {
				t.Errorf("Content-Type = %q, want %q", got, chunked.DefaultContentType)
			}
			if resp.ContentLength != -1 {
				t.Errorf("ContentLength = %d, want -1 (streamed)", resp.ContentLength)
			}
			br := bufio.NewReader(resp.Body)
			line, err := br.ReadString('\n')
			if err != nil || line != "part 1\n" {
				t.Fatalf("first part = %q, %v", line, err)
			}
			close(next)
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "part 2\n" {
				t.Errorf("rest = %q, %v; want part 2", rest, err)
			}
		})
	}
}

func TestStreamOptions(t *testing.T) {
	tests := []struct {
		name     string
		opts     *chunked.Options
		writes   []string
		wantType string
	}{
		{"defaults", nil, []string{"a", "", "b"}, "application/octet-stream"},
		{"html coalesced", &chunked.Options{ContentType: "text/html; charset=utf-8", Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}}, []string{"<p>", "x", "</p>"}, "text/html; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			streamHandler(t, tt.opts, func(s *chunked.Stream, r *http.Request) {
				for _, w := range tt.writes {
					if n, err := s.Write([]byte(w)); n != len(w) || err != nil {
						t.Errorf("Write(%q) = %d, %v", w, n, err)
					}
				}
			})(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if got := rec.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			want := ""
			for _, w := range tt.writes {
				want += w
			}
			if got := rec.Body.String(); got != want {
				t.Errorf("body = %q, want %q", got, want)
			}
		})
	}
}

func TestStreamClosed(t *testing.T) {
	rec := httptest.NewRecorder()
	c, err := core.NewHTTPConn(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	s, err := chunked.NewStream(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatalf("Flush = %v", err)
	}
	if !rec.Flushed {
		t.Errorf("Flush did not flush the response")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := s.Write([]byte("late")); !errors.Is(err, core.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	select {
	case <-s.Context().Done():
	default:
		t.Errorf("Done not closed after Close")
	}
	if s.Context().Err() == nil || !errors.Is(s.Err(), core.ErrClosed) || s.Core() == nil {
		t.Errorf("after Close: Context().Err() = %v, Err() = %v", s.Context().Err(), s.Err())
	}
}

func TestNewStreamRefused(t *testing.T) {
	reg := &core.Registry{Limit: 1}
	c1, _ := core.NewHTTPConn(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	first, err := chunked.NewStream(c1, &chunked.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	rec := httptest.NewRecorder()
	c2, _ := core.NewHTTPConn(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if _, err := chunked.NewStream(c2, &chunked.Options{Registry: reg}); !errors.Is(err, core.ErrTooManyStreams) {
		t.Errorf("NewStream over the limit = %v, want ErrTooManyStreams", err)
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("refused client got %d, want 503", rec.Code)
	}
}

func TestStreamClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := core.NewHTTPConn(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	s, err := chunked.NewStream(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-s.Context().Done()
	if !errors.Is(s.Err(), core.ErrClientGone) {
		t.Errorf("Err = %v, want ErrClientGone", s.Err())
	}
}
