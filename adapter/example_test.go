package adapter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// A middleware's life of one request: the State it makes, a helper that
// opens a stream through it, and End, through Run, when the handler chain
// returns, which closes the stream the handler forgot.
func ExampleState() {
	reg := &core.Registry{}
	var handler http.HandlerFunc = func(w http.ResponseWriter, r *http.Request) {
		// What an adapter's helper does: bind the request, open the
		// stream through the middleware's State.
		st := r.Context().Value(stateKey{}).(*adapter.State)
		c, err := st.HTTPConn(w, r, w)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s, err := st.SSE(c, nil)
		if err != nil {
			return
		}
		s.Send(&sse.Event{Data: "hello"})
		fmt.Println("active:", reg.Stats().Active)
		// no Close: the middleware closes the stream
	}
	middleware := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := adapter.NewState("streamexample", reg, nil, w)
			r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
			st.Run(func() { next.ServeHTTP(w, r) }, nil)
		})
	}

	rec := httptest.NewRecorder()
	middleware(handler).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/events", nil))
	fmt.Println("active:", reg.Stats().Active)
	fmt.Printf("%q\n", rec.Body.String())
	// Output:
	// active: 1
	// active: 0
	// "data: hello\n\n"
}

// stateKey is the example middleware's context key.
type stateKey struct{}
