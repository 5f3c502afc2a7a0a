package ndjson_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"iter"
	"net/http"
	"testing"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/ndjson"

	"github.com/streamkit/streamkit/internal/livetest"
)

func count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func countThenFail(n int, err error) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
		if err != nil {
			yield(0, err)
		}
	}
}

func chanOf(n int) <-chan int {
	ch := make(chan int, n)
	for i := range n {
		ch <- i
	}
	close(ch)
	return ch
}

// TestSources runs every source to its end, with and without an
// envelope, and checks what the client reads.
func TestSources(t *testing.T) {
	errDB := errors.New("db: connection lost")
	tests := []struct {
		name     string
		source   func(s *ndjson.Stream) error
		wantErr  error
		wantPlan string // body without an envelope
		wantEnv  string // body with one
	}{
		{
			name:     "seq",
			source:   func(s *ndjson.Stream) error { return ndjson.Seq(s, count(3)) },
			wantPlan: "0\n1\n2\n",
			wantEnv:  `{"result":0}` + "\n" + `{"result":1}` + "\n" + `{"result":2}` + "\n" + `{"end":true}` + "\n",
		},
		{
			name:     "seq2 clean",
			source:   func(s *ndjson.Stream) error { return ndjson.Seq2(s, countThenFail(2, nil)) },
			wantPlan: "0\n1\n",
			wantEnv:  `{"result":0}` + "\n" + `{"result":1}` + "\n" + `{"end":true}` + "\n",
		},
		{
			name:     "seq2 error",
			source:   func(s *ndjson.Stream) error { return ndjson.Seq2(s, countThenFail(2, errDB)) },
			wantErr:  errDB,
			wantPlan: "0\n1\n",
			wantEnv:  `{"result":0}` + "\n" + `{"result":1}` + "\n" + `{"error":{"message":"db: connection lost"}}` + "\n",
		},
		{
			name:     "chan",
			source:   func(s *ndjson.Stream) error { return ndjson.Chan(s, chanOf(2)) },
			wantPlan: "0\n1\n",
			wantEnv:  `{"result":0}` + "\n" + `{"result":1}` + "\n" + `{"end":true}` + "\n",
		},
		{
			name: "value that cannot be encoded",
			source: func(s *ndjson.Stream) error {
				return ndjson.Seq(s, func(yield func(any) bool) { _ = yield(1) && yield(make(chan int)) && yield(3) })
			},
			wantErr:  errAny,
			wantPlan: "1\n",
			wantEnv:  `{"result":1}` + "\n" + `{"error":{"message":"ndjson: json: unsupported type: chan int"}}` + "\n",
		},
	}
	for _, tt := range tests {
		for _, envelope := range []bool{false, true} {
			name := tt.name + "/plain"
			if envelope {
				name = tt.name + "/envelope"
			}
			t.Run(name, func(t *testing.T) {
				gotErr := make(chan error, 1)
				h := streamHandler(t, &ndjson.Options{Envelope: envelope}, func(s *ndjson.Stream, r *http.Request) {
					gotErr <- tt.source(s)
				})
				srv, client := livetest.Serve(t, false, h)
				body, err := io.ReadAll(get(t, client, srv.URL).Body)
				if err != nil {
					t.Fatalf("reading the body: %v", err)
				}
				want := tt.wantPlan
				if envelope {
					want = tt.wantEnv
				}
				if string(body) != want {
					t.Errorf("body = %q, want %q", body, want)
				}
				err = <-gotErr
				switch {
				case tt.wantErr == nil && err != nil:
					t.Errorf("source returned %v, want nil", err)
				case tt.wantErr == errAny && err == nil:
					t.Errorf("source returned nil, want an error")
				case tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
					t.Errorf("source returned %v, want %v", err, tt.wantErr)
				}
			})
		}
	}
}

// TestSourcesStopWhenClientLeaves checks that each source returns soon
// after the client goes away, however its producer behaves, and that the
// producer is stopped (the leak check at the end of the package would
// catch a goroutine left behind).
func TestSourcesStopWhenClientLeaves(t *testing.T) {
	forever := func(yield func(int) bool) {
		for i := 0; yield(i); i++ {
		}
	}
	forever2 := func(yield func(int, error) bool) {
		for i := 0; yield(i, nil); i++ {
		}
	}
	tests := []struct {
		name   string
		source func(s *ndjson.Stream) error
	}{
		{"seq as fast as it can", func(s *ndjson.Stream) error { return ndjson.Seq(s, forever) }},
		{"seq2 as fast as it can", func(s *ndjson.Stream) error { return ndjson.Seq2(s, forever2) }},
		{"seq blocked on the context", func(s *ndjson.Stream) error {
			return ndjson.Seq(s, func(yield func(int) bool) {
				if yield(1) {
					<-s.Context().Done()
				}
			})
		}},
		{"chan that never sends", func(s *ndjson.Stream) error {
			ch := make(chan int)
			if err := s.Encode(0); err != nil {
				return err
			}
			return ndjson.Chan(s, ch)
		}},
		{"chan from a producer goroutine", func(s *ndjson.Stream) error {
			ch := make(chan int)
			go func() {
				defer close(ch)
				for i := 0; ; i++ {
					select {
					case ch <- i:
					case <-s.Context().Done():
						return
					}
				}
			}()
			err := ndjson.Chan(s, ch)
			for range ch {
			}
			return err
		}},
	}
	for _, tr := range livetest.Protocols {
		for _, tt := range tests {
			t.Run(tr.Name+"/"+tt.name, func(t *testing.T) {
				returned := make(chan error, 1)
				h := streamHandler(t, nil, func(s *ndjson.Stream, r *http.Request) {
					returned <- tt.source(s)
				})
				srv, client := livetest.Serve(t, tr.H2, h)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				first, err := bufio.NewReader(resp.Body).ReadString('\n')
				if err != nil {
					t.Fatalf("first record: %q, %v", first, err)
				}
				cancel()
				resp.Body.Close()
				err = waitFor(t, returned, "the source to return")
				if !errors.Is(err, core.ErrClientGone) && !errors.Is(err, core.ErrClosed) {
					t.Errorf("source returned %v, want the stream's end (client gone)", err)
				}
			})
		}
	}
}
