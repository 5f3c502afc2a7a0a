package streamhttp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/streamhttp"
)

// get runs one GET request through h and returns the recorded response.
func get(h http.Handler, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

// The middleware wraps a ServeMux (or a chi router: r.Use); its registry
// counts the streams the helpers open.
func ExampleMiddleware() {
	reg := &core.Registry{Limit: 10_000}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		s, err := streamhttp.SSE(w, r, nil)
		if err != nil {
			return // already answered (500, 503), or the client left
		}
		defer s.Close()
		s.Send(&sse.Event{ID: "1", Data: "hello"})
	})
	h := streamhttp.Middleware(&streamhttp.Config{Registry: reg})(mux)

	fmt.Print(get(h, "/events").Body.String())
	fmt.Println("streams served:", reg.Stats().Total)
	// Output:
	// id: 1
	// data: hello
	//
	// streams served: 1
}

// Resuming: sse.LastEventID reads the header, then the lastEventId query
// parameter; a malformed query is a 400.
func ExampleSSE() {
	h := streamhttp.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last, err := sse.LastEventID(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s, err := streamhttp.SSE(w, r, nil)
		if err != nil {
			return
		}
		defer s.Close()
		sse.SendJSON(s, &sse.Event{ID: "8"}, map[string]string{"after": last})
	}))
	fmt.Print(get(h, "/events?lastEventId=7").Body.String())
	fmt.Println(get(h, "/events?lastEventId=%zz").Code)
	// Output:
	// id: 8
	// data: {"after":"7"}
	//
	// 400
}

func ExampleNDJSON() {
	h := streamhttp.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := streamhttp.NDJSON(w, r, &ndjson.Options{Envelope: true})
		if err != nil {
			return
		}
		defer s.Close()
		s.Encode(map[string]int{"n": 1})
	}))
	fmt.Print(get(h, "/rows").Body.String())
	// Output:
	// {"result":{"n":1}}
	// {"end":true}
}

func ExampleChunked() {
	h := streamhttp.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := streamhttp.Chunked(w, r, nil)
		if err != nil {
			return
		}
		defer s.Close()
		fmt.Fprintln(s, "part 1")
		fmt.Fprintln(s, "part 2")
	}))
	rec := get(h, "/download")
	fmt.Print(rec.Header().Get("Content-Type"), "\n", rec.Body.String())
	// Output:
	// application/octet-stream
	// part 1
	// part 2
}

// With Config.Recover, a panic before any stream started is an ordinary
// 500; without it, the panic goes on to your recovery middleware.
func ExampleConfig_recover() {
	cfg := &streamhttp.Config{Recover: true}
	h := streamhttp.Middleware(cfg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("not yet implemented")
	}))
	rec := get(h, "/broken")
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output: 500 streamhttp: internal server error
}
