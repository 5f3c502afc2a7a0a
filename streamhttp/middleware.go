package streamhttp

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

// Config configures [Middleware]. The zero value, and a nil *Config, mean
// no registry, panics passed on, and slog.Default() for logging.
// Middleware copies it, so changing a Config afterwards has no effect; the
// Registry it points to is shared by every request and is safe for
// concurrent use.
type Config struct {
	// Registry is joined by every stream the helpers open under the
	// middleware whose options name no registry of their own: it counts
	// them, caps how many are open at once (core.Registry.Limit; a stream
	// past the cap is answered with 503 and Retry-After), and shuts them
	// down gracefully.
	Registry *core.Registry

	// Recover makes the middleware recover a panic of the handler: logged
	// with its stack to Logger, then answered with a plain-text 500 when
	// no stream has started, or, once one has and the status is gone, by
	// ending the stream cleanly (on HTTP/1.1 with its final chunk). A
	// panic with http.ErrAbortHandler is passed on even then. When false,
	// the default, a panic goes on unchanged, for your recovery middleware
	// or net/http, once the middleware has stopped the streams the handler
	// left open.
	Recover bool

	// Logger receives the panics the middleware recovers and the errors
	// that end HubTopic streams; nil means slog.Default() at the time of
	// logging.
	Logger *slog.Logger
}

// request is what the middleware leaves in a request's context.
type request struct {
	st *adapter.State
	// started is set once a Conn of the request committed its status.
	started atomic.Bool
}

// requestKey is the context key of the middleware's per-request state.
type requestKey struct{}

// requestOf returns the state the middleware left for r, nil outside it.
func requestOf(r *http.Request) *request {
	rq, _ := r.Context().Value(requestKey{}).(*request)
	return rq
}

// stateOf returns the adapter.State of r, nil outside the middleware.
func stateOf(r *http.Request) *adapter.State {
	if rq := requestOf(r); rq != nil {
		return rq.st
	}
	return nil
}

// Middleware returns the net/http middleware for stream routes: wrap a
// handler, a mux or a route group with it (chi: r.Use(Middleware(cfg))),
// outside any compression middleware. For each request it
//
//   - hands cfg.Registry to the helpers ([SSE], [NDJSON], [Chunked],
//     [HubTopic]), which use it when their options name none;
//   - remembers the ResponseWriter as it is now, so that a stream can set
//     its write deadline, and read the connection's errors, beneath a
//     wrapper installed later that hides them;
//   - when the handler returns, closes the streams the helpers opened and
//     stops every Conn from writing, so that nothing reaches a response
//     net/http has finished;
//   - after a panic of the handler, stops every Conn from writing and
//     passes the panic on unchanged, or, with cfg.Recover, recovers it
//     (see [Config]).
//
// The returned middleware, and the handlers it makes, are safe for
// concurrent use by any number of requests.
func Middleware(cfg *Config) func(http.Handler) http.Handler {
	conf := &Config{}
	if cfg != nil {
		*conf = *cfg
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rq := &request{st: adapter.NewState("streamhttp", conf.Registry, conf.Logger, w)}
			r = r.WithContext(context.WithValue(r.Context(), requestKey{}, rq))
			var onPanic func(any)
			if conf.Recover {
				onPanic = func(p any) {
					started := rq.started.Load()
					rq.st.LogPanic(p, r.Method, r.URL.Path, started)
					if !started {
						plainError(w, http.StatusInternalServerError, "streamhttp: internal server error")
					}
				}
			}
			rq.st.Run(func() { next.ServeHTTP(w, r) }, onPanic)
		})
	}
}

// plainError answers with status and a plain-text message, dropping the
// headers a stream had set. Call it only before the status went out.
func plainError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Del("X-Accel-Buffering")
	h.Set("Cache-Control", "no-store")
	http.Error(w, msg, status)
}
