package ndjson_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/ndjson"

	"github.com/streamkit/streamkit/internal/livetest"
)

// TestStreamIncremental proves records are delivered as they are written:
// the client reads record 1 while the handler is still waiting to write
// record 2, which it does only once the client says it has record 1.
func TestStreamIncremental(t *testing.T) {
	formats := []struct {
		f      ndjson.Format
		prefix string
	}{
		{ndjson.Lines, ""},
		{ndjson.JSONLines, ""},
		{ndjson.JSONSeq, "\x1e"},
	}
	for _, tr := range livetest.Protocols {
		for _, fm := range formats {
			t.Run(tr.Name+"/"+fm.f.String(), func(t *testing.T) {
				next := make(chan struct{})
				h := streamHandler(t, &ndjson.Options{Format: fm.f}, func(s *ndjson.Stream, r *http.Request) {
					if err := s.Encode(map[string]int{"n": 1}); err != nil {
						t.Errorf("Encode 1: %v", err)
						return
					}
					select {
					case <-next:
					case <-r.Context().Done():
						return
					}
					if err := s.Encode(map[string]int{"n": 2}); err != nil {
						t.Errorf("Encode 2: %v", err)
					}
				})
				srv, client := livetest.Serve(t, tr.H2, h)
				resp := get(t, client, srv.URL)
				if got, want := resp.Header.Get("Content-Type"), fm.f.ContentType(); got != want {
					t.Errorf("Content-Type = %q, want %q", got, want)
				}
				if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
					t.Errorf("Cache-Control = %q, want no-cache", got)
				}
				br := bufio.NewReader(resp.Body)
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("reading record 1: %v", err)
				}
				if want := fm.prefix + `{"n":1}` + "\n"; line != want {
					t.Errorf("record 1 = %q, want %q", line, want)
				}
				close(next)
				rest, err := io.ReadAll(br)
				if err != nil {
					t.Fatalf("reading the rest: %v", err)
				}
				if want := fm.prefix + `{"n":2}` + "\n"; string(rest) != want {
					t.Errorf("rest = %q, want %q", rest, want)
				}
			})
		}
	}
}

// TestEnvelopeEndVersusCut shows what envelope mode is for: a client tells
// a complete stream (end record), a failed one (error record) and a cut
// connection (neither) apart.
func TestEnvelopeEndVersusCut(t *testing.T) {
	tests := []struct {
		name    string
		finish  func(s *ndjson.Stream)
		wantErr func(error) bool
	}{
		{
			name:    "closed",
			finish:  func(s *ndjson.Stream) { s.Close() },
			wantErr: func(err error) bool { return err == nil },
		},
		{
			name:   "error record",
			finish: func(s *ndjson.Stream) { s.Error(errors.New("database went away")) },
			wantErr: func(err error) bool {
				var re *ndjson.RemoteError
				return errors.As(err, &re) && re.Message == "database went away"
			},
		},
		{
			name: "connection cut",
			finish: func(s *ndjson.Stream) {
				// What a crashing server or a dropped proxy connection
				// looks like to the client: no end of body at all.
				panic(http.ErrAbortHandler)
			},
			wantErr: func(err error) bool { return errors.Is(err, ndjson.ErrTruncated) },
		},
		{
			name:    "handler returned without closing",
			finish:  func(s *ndjson.Stream) {},
			wantErr: func(err error) bool { return errors.Is(err, ndjson.ErrTruncated) },
		},
	}
	for _, tr := range livetest.Protocols {
		for _, tt := range tests {
			t.Run(tr.Name+"/"+tt.name, func(t *testing.T) {
				h := func(w http.ResponseWriter, r *http.Request) {
					c, _ := core.NewHTTPConn(w, r)
					s, err := ndjson.NewStream(c, &ndjson.Options{Envelope: true})
					if err != nil {
						t.Errorf("NewStream: %v", err)
						return
					}
					for i := range 2 {
						if err := s.Encode(i); err != nil {
							t.Errorf("Encode: %v", err)
						}
					}
					tt.finish(s)
				}
				srv, client := livetest.Serve(t, tr.H2, h)
				resp := get(t, client, srv.URL)
				var got []int
				var err error
				for v, rerr := range ndjson.Records[int](resp.Body, &ndjson.DecoderOptions{Envelope: true}) {
					if rerr != nil {
						err = rerr
						break
					}
					got = append(got, v)
				}
				if len(got) != 2 || got[0] != 0 || got[1] != 1 {
					t.Errorf("results = %v, want [0 1]", got)
				}
				if !tt.wantErr(err) {
					t.Errorf("end of stream: error = %v", err)
				}
			})
		}
	}
}

func TestStreamEnvelopeWire(t *testing.T) {
	tests := []struct {
		name string
		opts ndjson.Options
		run  func(s *ndjson.Stream)
		want string
	}{
		{
			name: "plain error sends nothing more",
			run: func(s *ndjson.Stream) {
				s.Encode("a")
				s.Error(errBoom)
				s.Encode("b")
			},
			want: "\"a\"\n",
		},
		{
			name: "envelope close",
			opts: ndjson.Options{Envelope: true},
			run: func(s *ndjson.Stream) {
				s.Encode("a")
				s.Close()
				s.Close()
				s.Encode("b")
				s.Error(errBoom)
			},
			want: `{"result":"a"}` + "\n" + `{"end":true}` + "\n",
		},
		{
			name: "envelope error ends the stream",
			opts: ndjson.Options{Envelope: true, Format: ndjson.JSONSeq},
			run: func(s *ndjson.Stream) {
				s.Encode(nil)
				s.Error(errBoom)
				s.Close()
			},
			want: "\x1e" + `{"result":null}` + "\n\x1e" + `{"error":{"message":"boom"}}` + "\n",
		},
		{
			name: "envelope error nil is close",
			opts: ndjson.Options{Envelope: true},
			run:  func(s *ndjson.Stream) { s.Error(nil) },
			want: `{"end":true}` + "\n",
		},
		{
			name: "coalesced records go out on close",
			opts: ndjson.Options{Envelope: true, Flush: core.FlushPolicy{MaxBytes: 1 << 20, MaxDelay: time.Hour}},
			run: func(s *ndjson.Stream) {
				s.Encode(1)
				s.Encode(2)
			},
			want: `{"result":1}` + "\n" + `{"result":2}` + "\n" + `{"end":true}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			opts := tt.opts
			streamHandler(t, &opts, func(s *ndjson.Stream, r *http.Request) { tt.run(s) })(rec, req)
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStreamEncodeErrorKeepsStreamOpen(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	calls := 0
	marshal := func(v any) ([]byte, error) {
		calls++
		if calls == 1 {
			return []byte("{broken"), nil
		}
		return []byte(`"ok"`), nil
	}
	streamHandler(t, &ndjson.Options{Marshal: marshal}, func(s *ndjson.Stream, r *http.Request) {
		if err := s.Encode(1); !errors.Is(err, ndjson.ErrInvalidJSON) {
			t.Errorf("Encode = %v, want ErrInvalidJSON", err)
		}
		if err := s.Encode(2); err != nil {
			t.Errorf("Encode after a bad value = %v, want nil", err)
		}
		if err := s.Err(); err != nil {
			t.Errorf("Err = %v, want nil while open", err)
		}
	})(rec, req)
	if got, want := rec.Body.String(), "\"ok\"\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}

func TestStreamEncodeAfterClientLeft(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	c, err := core.NewHTTPConn(rec, req)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ndjson.NewStream(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-s.Context().Done()
	// The core stream notices the cancelled context from a callback that
	// runs just after Done is closed, so allow it a moment.
	var encErr error
	for range 1000 {
		if encErr = s.Encode(1); encErr != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(encErr, core.ErrClosed) || !errors.Is(encErr, core.ErrClientGone) {
		t.Errorf("Encode = %v, want ErrClosed wrapping ErrClientGone", encErr)
	}
	if err := s.Context().Err(); err == nil {
		t.Errorf("Context().Err() = nil after the client left")
	}
	if s.Core() == nil {
		t.Errorf("Core() = nil")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after the client left = %v, want nil", err)
	}
}

func TestStreamHeartbeat(t *testing.T) {
	tests := []struct {
		name string
		opts ndjson.Options
		beat string
	}{
		{"ndjson blank line", ndjson.Options{}, "\n"},
		{"json-seq lone RS", ndjson.Options{Format: ndjson.JSONSeq}, "\x1e"},
		{"envelope record", ndjson.Options{Envelope: true}, `{"heartbeat":true}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saw := make(chan struct{})
			opts := tt.opts
			opts.Heartbeat = 5 * time.Millisecond
			h := streamHandler(t, &opts, func(s *ndjson.Stream, r *http.Request) {
				if err := s.Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
				select {
				case <-saw:
				case <-r.Context().Done():
					return
				}
				s.Encode("x")
			})
			srv, client := livetest.Serve(t, false, h)
			resp := get(t, client, srv.URL)
			buf := make([]byte, len(tt.beat))
			if _, err := io.ReadFull(resp.Body, buf); err != nil {
				t.Fatalf("reading a heartbeat: %v", err)
			}
			if string(buf) != tt.beat {
				t.Errorf("heartbeat = %q, want %q", buf, tt.beat)
			}
			close(saw)
			// Whatever heartbeats came before it, the decoder finds the
			// record and, in envelope mode, the end.
			var got []string
			for v, err := range ndjson.Records[string](resp.Body, &ndjson.DecoderOptions{Format: tt.opts.Format, Envelope: tt.opts.Envelope}) {
				if err != nil {
					t.Fatalf("decoding: %v", err)
				}
				got = append(got, v)
			}
			if len(got) != 1 || got[0] != "x" {
				t.Errorf("records = %q, want [x]", got)
			}
		})
	}
}

// TestStreamShutdown checks that a registry shutdown tells an envelope
// client that the stream did not complete.
func TestStreamShutdown(t *testing.T) {
	reg := &core.Registry{ShutdownSpread: time.Millisecond}
	started := make(chan struct{})
	h := streamHandler(t, &ndjson.Options{Envelope: true, Registry: reg}, func(s *ndjson.Stream, r *http.Request) {
		s.Encode(1)
		close(started)
		<-s.Context().Done()
	})
	srv, client := livetest.Serve(t, false, h)
	resp := get(t, client, srv.URL)
	d := ndjson.NewDecoder(resp.Body, &ndjson.DecoderOptions{Envelope: true})
	var n int
	if err := d.Decode(&n); err != nil || n != 1 {
		t.Fatalf("first record: %d, %v", n, err)
	}
	waitFor(t, started, "the handler")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := reg.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	var re *ndjson.RemoteError
	if err := d.Decode(&n); !errors.As(err, &re) || !strings.Contains(re.Message, "shutting down") {
		t.Errorf("after shutdown: Decode = %v, want a remote error about shutting down", err)
	}
}

func TestNewStreamErrors(t *testing.T) {
	t.Run("unknown format", func(t *testing.T) {
		rec := httptest.NewRecorder()
		c, _ := core.NewHTTPConn(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if _, err := ndjson.NewStream(c, &ndjson.Options{Format: 5}); err == nil {
			t.Fatal("NewStream with an unknown format: nil error")
		}
		if rec.Body.Len() != 0 || rec.Flushed {
			t.Errorf("something was written: %q", rec.Body)
		}
	})
	t.Run("registry full", func(t *testing.T) {
		reg := &core.Registry{Limit: 1}
		rec := httptest.NewRecorder()
		c, _ := core.NewHTTPConn(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		first, err := ndjson.NewStream(c, &ndjson.Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		rec2 := httptest.NewRecorder()
		c2, _ := core.NewHTTPConn(rec2, httptest.NewRequest(http.MethodGet, "/", nil))
		_, err = ndjson.NewStream(c2, &ndjson.Options{Registry: reg})
		if !errors.Is(err, core.ErrTooManyStreams) {
			t.Errorf("second NewStream = %v, want ErrTooManyStreams", err)
		}
		if rec2.Code != http.StatusServiceUnavailable {
			t.Errorf("refused client got status %d, want 503", rec2.Code)
		}
	})
}

// TestStreamConcurrent writes from many goroutines while another closes
// the stream: every line must be whole and nothing may follow the end
// record.
func TestStreamConcurrent(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	streamHandler(t, &ndjson.Options{Envelope: true, Flush: core.FlushPolicy{MaxBytes: 512, MaxDelay: time.Millisecond}}, func(s *ndjson.Stream, r *http.Request) {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					if s.Encode(map[string]int{"g": g, "i": i}) != nil {
						return
					}
				}
			})
		}
		time.Sleep(time.Millisecond)
		s.Close()
		wg.Wait()
	})(rec, req)
	lines := strings.Split(strings.TrimSuffix(rec.Body.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != `{"end":true}` {
		t.Errorf("last line = %q, want the end record", last)
	}
	for i, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, `{"result":{"g":`) {
			t.Fatalf("line %d = %q, want a result record", i, l)
		}
	}
}
