package streamgin

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

// Config configures [Middleware]. The zero value, and a nil *Config, mean
// no registry, panics passed on, and slog.Default() for logging. Middleware copies it, so
// changing a Config afterwards has no effect; the Registry it points to is
// shared by every request and is safe for concurrent use.
type Config struct {
	// Registry is joined by every stream the helpers open under the
	// middleware whose options name no registry of their own: it counts
	// them, caps how many are open at once (core.Registry.Limit; a stream
	// past the cap is answered with 503 and Retry-After), and shuts them
	// down gracefully.
	Registry *core.Registry

	// Recover makes the middleware recover a panic of the handlers after
	// it: logged with its stack to Logger, then answered with a plain-text
	// 500 when nothing was sent yet, or, once the stream has started and
	// the status is gone, by ending the stream cleanly (on HTTP/1.1 with
	// its final chunk); the remaining handlers do not run. A panic with
	// http.ErrAbortHandler is passed on even then. When false, the
	// default, a panic goes on unchanged, for gin's Recovery or your own,
	// once the middleware has stopped the streams the handler left open.
	Recover bool

	// Logger receives the panics the middleware recovers, with their
	// stacks; nil means slog.Default() at the time of logging. Errors that
	// end a HubTopic stream go to c.Errors instead, for gin's Logger.
	Logger *slog.Logger
}

// stateKey is the gin.Context key of the middleware's per-request state.
type stateKey struct{}

// stateOf returns the state Middleware left for the helpers of c's
// request, nil outside the middleware.
func stateOf(c *gin.Context) *adapter.State {
	v, _ := c.Get(stateKey{})
	st, _ := v.(*adapter.State)
	return st
}

// Middleware returns the gin middleware for stream routes. Register it on
// the routes or groups that stream, before any compression middleware:
//
//	r.Use(streamgin.Middleware(&streamgin.Config{Registry: reg}), gzip.Gzip(gzip.DefaultCompression))
//
// For each request it
//
//   - hands cfg.Registry to the helpers ([SSE], [NDJSON], [Chunked] and
//     [HubTopic]), which use it when their options name none;
//   - remembers c.Writer as it is now, so that a stream can set its write
//     deadline, and lift the server's WriteTimeout, even under a wrapper
//     installed later that hides it (gin-contrib/gzip), and can read the
//     connection's errors beneath such a wrapper;
//   - when the handler chain returns, closes the streams the helpers
//     opened and stops every Conn from writing, so that nothing reaches a
//     response gin has finished;
//   - after a panic of the handlers, stops every Conn from writing and
//     passes the panic on unchanged, or, with cfg.Recover, recovers it
//     (see [Config]).
//
// The middleware is safe for concurrent use by any number of requests.
func Middleware(cfg *Config) gin.HandlerFunc {
	conf := &Config{}
	if cfg != nil {
		*conf = *cfg
	}
	return func(c *gin.Context) {
		st := adapter.NewState("streamgin", conf.Registry, conf.Logger, c.Writer)
		c.Set(stateKey{}, st)
		var onPanic func(any)
		if conf.Recover {
			onPanic = func(p any) { recovered(c, st, p) }
		}
		st.Run(c.Next, onPanic)
	}
}

// recovered handles a panic of the handler chain, after st.End, under
// Config.Recover.
func recovered(c *gin.Context, st *adapter.State, p any) {
	c.Abort()
	streaming := c.Writer.Written()
	st.LogPanic(p, c.Request.Method, c.Request.URL.Path, streaming)
	if !streaming {
		plainError(c, http.StatusInternalServerError, "streamgin: internal server error")
	}
}

// plainError answers c with status and a plain-text message, dropping the
// headers a stream had set, if nothing has been sent yet.
func plainError(c *gin.Context, status int, msg string) {
	if c.Writer.Written() {
		return
	}
	h := c.Writer.Header()
	h.Del("X-Accel-Buffering")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	c.Data(status, "text/plain; charset=utf-8", []byte(msg+"\n"))
}
