package chunked_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// streamHandler wraps fn, which gets a chunked stream opened with opts, as
// a handler.
func streamHandler(t testing.TB, opts *chunked.Options, fn func(s *chunked.Stream, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			t.Errorf("NewHTTPConn: %v", err)
			return
		}
		s, err := chunked.NewStream(c, opts)
		if err != nil {
			t.Errorf("NewStream: %v", err)
			return
		}
		defer s.Close()
		fn(s, r)
	}
}

// do sends req with a deadline bounding the whole exchange, so that a
// stream that never arrives fails the test instead of hanging it.
func do(t testing.TB, client *http.Client, req *http.Request) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), 60*time.Second)
	t.Cleanup(cancel)
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func get(t testing.TB, client *http.Client, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := do(t, client, req)
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
