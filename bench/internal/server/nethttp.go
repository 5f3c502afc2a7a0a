package server

import (
	"fmt"
	"net/http"

	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// netHTTPHandler serves mode with plain net/http.
func netHTTPHandler(mode string, ev *events) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sse", func(w http.ResponseWriter, r *http.Request) {
		req, err := parse(r.URL.Query().Get)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch mode {
		case Streamkit, Coalesce:
			c, err := core.NewHTTPConn(w, r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			streamkitSSE(c, ev, req, mode)
			return
		}
		f, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		switch mode {
		case Guarded:
			rc := http.NewResponseController(w)
			if GuardedLoop(r.Context(), ev.ids, req.n, w.Write, rc.Flush, rc.SetWriteDeadline) != nil {
				return
			}
		case Own:
			for i := range req.n {
				if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", ev.id(i), payload.Type, payload.JSON); err != nil {
					return
				}
				f.Flush()
			}
		case Loop, Validated, Busy, Spread:
			buf := make([]byte, 0, 512)
			for i := range req.n {
				buf = appendEvent(mode, buf[:0], ev.id(i))
				if _, err := w.Write(buf); err != nil {
					return
				}
				f.Flush()
			}
		case Batch:
			err := ev.batches(req.n, func(p []byte) error {
				_, err := w.Write(p)
				f.Flush()
				return err
			})
			if err != nil {
				return
			}
		}
		if req.idle {
			f.Flush()
			<-r.Context().Done()
		}
	})
	return mux
}

// streamkitSSE serves req on c with an sse.Stream under mode's flush
// policy; the adapters of every framework end up here.
func streamkitSSE(c core.Conn, ev *events, req request, mode string) {
	s, err := sse.NewStream(c, &sse.Options{Flush: flushPolicy(mode)})
	if err != nil {
		return
	}
	defer s.Close()
	sendAll(s, ev, req)
}

// sendAll sends the events of req on s, then waits for the client to
// leave when req is idle.
func sendAll(s *sse.Stream, ev *events, req request) {
	e := sse.Event{Type: payload.Type, Data: payload.JSON}
	for i := range req.n {
		e.ID = ev.id(i)
		if err := s.Send(&e); err != nil {
			return
		}
	}
	if req.idle {
		s.Flush() //nolint:errcheck // a failure ends the stream, which Done reports
		<-s.Context().Done()
	}
}
