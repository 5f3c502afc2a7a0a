package chunked_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"

	"github.com/streamkit/streamkit/internal/livetest"
)

func TestCopy(t *testing.T) {
	errRead := errors.New("disk error")
	tests := []struct {
		name      string
		r         io.Reader
		opts      *chunked.Options
		copts     *chunked.CopyOptions
		want      string
		wantN     int64
		wantErr   error
		wantTotal int64 // total given to Progress
	}{
		{name: "small", r: strings.NewReader("hello"), want: "hello", wantN: 5},
		{name: "known total", r: strings.NewReader("abc"), copts: &chunked.CopyOptions{Total: 3}, want: "abc", wantN: 3, wantTotal: 3},
		{name: "unknown total", r: strings.NewReader("abc"), copts: &chunked.CopyOptions{}, want: "abc", wantN: 3, wantTotal: -1},
		{name: "byte at a time", r: iotest.OneByteReader(strings.NewReader("xyz")), copts: &chunked.CopyOptions{}, want: "xyz", wantN: 3, wantTotal: -1},
		{name: "data with eof", r: iotest.DataErrReader(strings.NewReader("xyz")), want: "xyz", wantN: 3},
		{name: "read error", r: io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(errRead)), want: "ab", wantN: 2, wantErr: errRead},
		{name: "coalesced", r: iotest.OneByteReader(strings.NewReader("coalesce")), opts: &chunked.Options{Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}}, want: "coalesce", wantN: 8},
		{name: "large", r: &livetest.PatternReader{N: 100_000}, want: string(livetest.Pattern[:251]), wantN: 100_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			var last [2]int64
			if tt.copts != nil {
				tt.copts.Progress = func(written, total int64) {
					calls++
					if written <= last[0] {
						t.Errorf("progress went from %d to %d", last[0], written)
					}
					last = [2]int64{written, total}
				}
			}
			rec := httptest.NewRecorder()
			streamHandler(t, tt.opts, func(s *chunked.Stream, r *http.Request) {
				n, err := chunked.Copy(s, tt.r, tt.copts)
				if n != tt.wantN {
					t.Errorf("Copy wrote %d, want %d", n, tt.wantN)
				}
				if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("Copy error = %v, want %v", err, tt.wantErr)
				}
				if tt.opts != nil && rec.Body.String() != tt.want {
					t.Errorf("before Close: body = %q, want everything flushed", rec.Body)
				}
			})(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			got := rec.Body.String()
			if tt.name == "large" {
				if len(got) != 100_000 || !strings.HasPrefix(got, tt.want) {
					t.Errorf("body: %d bytes starting %q", len(got), got[:min(len(got), 10)])
				}
			} else if got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
			if tt.copts != nil && (last[0] != tt.wantN || last[1] != tt.wantTotal) {
				t.Errorf("last progress = %v, want [%d %d] (%d calls)", last, tt.wantN, tt.wantTotal, calls)
			}
		})
	}
}

// TestCopyStopsWhenClientLeaves streams an endless reader; the copy must
// end soon after the client goes away.
func TestCopyStopsWhenClientLeaves(t *testing.T) {
	for _, tr := range livetest.Protocols {
		t.Run(tr.Name, func(t *testing.T) {
			returned := make(chan error, 1)
			h := streamHandler(t, nil, func(s *chunked.Stream, r *http.Request) {
				_, err := chunked.Copy(s, &livetest.PatternReader{N: 1 << 62}, nil)
				returned <- err
			})
			srv, client := livetest.Serve(t, tr.H2, h)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(bufio.NewReader(resp.Body), make([]byte, 1000)); err != nil {
				t.Fatalf("reading the start: %v", err)
			}
			cancel()
			resp.Body.Close()
			err = waitFor(t, returned, "Copy to return")
			if !errors.Is(err, core.ErrClientGone) && !errors.Is(err, core.ErrClosed) {
				t.Errorf("Copy returned %v, want the stream's end", err)
			}
		})
	}
}
