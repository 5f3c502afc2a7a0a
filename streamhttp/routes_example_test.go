package streamhttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/streamhttp"
	"github.com/streamkit/streamkit/upload"
)

// The five jobs on one http.ServeMux: the middleware around the stream
// routes, an SSE handler, an NDJSON handler, a streamed upload whose
// progress goes to a hub topic, and that topic served to browsers. With chi,
// r.Use(streamhttp.Middleware(cfg)) on a route group does the same.
func Example_routes() {
	reg := &core.Registry{Limit: 10_000}
	h := hub.New(&hub.Options{Registry: reg})
	defer h.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/clock", func(w http.ResponseWriter, r *http.Request) {
		s, err := streamhttp.SSE(w, r, nil)
		if err != nil {
			return // already answered: 500, or 503 past the registry's limit
		}
		defer s.Close()
		for i := 1; i <= 3; i++ {
			if s.Send(&sse.Event{ID: fmt.Sprint(i), Type: "tick", Data: fmt.Sprint(i)}) != nil {
				return // the client left; s.Err() says why
			}
		}
	})
	mux.HandleFunc("GET /api/rows", func(w http.ResponseWriter, r *http.Request) {
		s, err := streamhttp.NDJSON(w, r, nil)
		if err != nil {
			return
		}
		defer s.Close()
		for _, name := range []string{"ada", "grace"} {
			if s.Encode(map[string]string{"name": name}) != nil {
				return
			}
		}
	})
	mux.HandleFunc("POST /api/upload", func(w http.ResponseWriter, r *http.Request) {
		body, err := upload.Read(r, &upload.Options{
			MaxBytes: 1 << 30,
			Progress: func(read, total int64) {
				h.Publish(r.Context(), "progress", hub.Message{Data: fmt.Sprint(read)})
			},
		})
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err)) // 413 or 400
			return
		}
		n, err := io.Copy(io.Discard, body) // a file, object storage, ...
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err))
			return
		}
		fmt.Fprintf(w, `{"bytes":%d}`+"\n", n)
	})
	mux.Handle("GET /api/topics/{topic}", streamhttp.HubTopic(h, "topic", nil))
	handler := streamhttp.Middleware(&streamhttp.Config{Registry: reg})(mux)

	// Drive it as a client would.
	fmt.Print(get(handler, "/api/clock").Body.String())
	fmt.Print(get(handler, "/api/rows").Body.String())
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/upload", strings.NewReader("hello")))
	fmt.Print(rec.Body.String())
	fmt.Println(reg.Stats().Total, "streams")
	// Output:
	// id: 1
	// event: tick
	// data: 1
	//
	// id: 2
	// event: tick
	// data: 2
	//
	// id: 3
	// event: tick
	// data: 3
	//
	// {"name":"ada"}
	// {"name":"grace"}
	// {"bytes":5}
	// 2 streams
}
