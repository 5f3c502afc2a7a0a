package upload_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/streamkit/streamkit/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// do sends req with a deadline bounding the whole exchange, so that a
// response that never arrives fails the test instead of hanging it.
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
