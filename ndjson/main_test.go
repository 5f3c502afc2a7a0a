package ndjson_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/internal/leakcheck"
	"github.com/streamkit/streamkit/ndjson"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// streamHandler wraps fn, which gets an ndjson stream opened with opts, as
// a handler. Failures to open the stream are reported on t.
func streamHandler(t testing.TB, opts *ndjson.Options, fn func(s *ndjson.Stream, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			t.Errorf("NewHTTPConn: %v", err)
			return
		}
		s, err := ndjson.NewStream(c, opts)
		if err != nil {
			t.Errorf("NewStream: %v", err)
			return
		}
		defer s.Close()
		fn(s, r)
	}
}

// get sends a GET to url with a deadline that bounds the whole exchange,
// so that a stream that never arrives fails the test instead of hanging it.
func get(t testing.TB, client *http.Client, url string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", url, resp.StatusCode)
	}
	return resp
}

// waitFor receives from ch, failing the test after a generous bound; it
// detects hangs and is not a timing assertion.
func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
