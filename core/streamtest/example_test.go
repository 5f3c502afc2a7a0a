package streamtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

func ExampleRecorder() {
	rec := streamtest.NewRecorder()
	s, _ := core.New(rec, &core.Options{ContentType: "text/plain"})
	s.Write([]byte("one\n"))
	s.Close()
	fmt.Println(rec.Status(), rec.Header().Get("Content-Type"), rec.Flushes())
	fmt.Printf("%q\n", rec.Flushed())
	// Output:
	// 200 text/plain 2
	// "one\n"
}

// Discard times a stream with no connection beneath it.
func ExampleDiscard() {
	s, _ := core.New(streamtest.Discard{}, nil)
	n, err := s.Write([]byte("dropped\n"))
	s.Close()
	fmt.Println(n, err)
	// Output: 8 <nil>
}

// An adapter proves its Conn with the suite, from a test function; here the
// net/http binding over HTTP/1.1.
func ExampleRun() {
	conformance := func(t *testing.T) {
		streamtest.Run(t, streamtest.Harness{
			Serve: func(t *testing.T, cfg streamtest.ServerConfig, handle func(core.Conn)) string {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					c, err := core.NewHTTPConn(w, r)
					if err != nil {
						t.Error(err)
						return
					}
					handle(c)
				}))
				srv.Config.WriteTimeout = cfg.WriteTimeout
				srv.Start()
				t.Cleanup(srv.Close)
				return srv.URL
			},
		})
	}
	_ = conformance // func TestConformance(t *testing.T) { conformance(t) }
}
