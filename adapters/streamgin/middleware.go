package streamgin

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/core"
)

// Config configures [Middleware]. The zero value, and a nil *Config, mean
// no registry and slog.Default() for logging. Middleware copies it, so
// changing a Config afterwards has no effect; the Registry it points to is
// shared by every request and is safe for concurrent use.
type Config struct {
	// Registry is joined by every stream the helpers open under the
	// middleware whose options name no registry of their own: it counts
	// them, caps how many are open at once (core.Registry.Limit; a stream
	// past the cap is answered with 503 and Retry-After), and shuts them
	// down gracefully.
	Registry *core.Registry

	// Logger receives the panics the middleware recovers, with their
	// stacks; nil means slog.Default() at the time of logging. Errors that
	// end streams of the handler constructors go to c.Errors instead, for
	// gin's Logger.
	Logger *slog.Logger
}

// stateKey is the gin.Context key of the middleware's per-request state.
type stateKey struct{}

// state is what Middleware leaves for the helpers of one request.
type state struct {
	cfg  *Config
	base http.ResponseWriter // c.Writer when the middleware ran

	mu      sync.Mutex
	conns   []*conn
	streams []*core.Stream
}

func stateOf(c *gin.Context) *state {
	v, _ := c.Get(stateKey{})
	st, _ := v.(*state)
	return st
}

func (st *state) add(cn *conn) {
	st.mu.Lock()
	st.conns = append(st.conns, cn)
	st.mu.Unlock()
}

func (st *state) track(s *core.Stream) {
	st.mu.Lock()
	st.streams = append(st.streams, s)
	st.mu.Unlock()
}

// end runs when the handler chain returns. After a normal return it closes
// the streams the helpers opened (a no-op for those already closed), which
// sends what a forgotten Close left buffered. After a panic it does not:
// the panic may have struck while a stream held its lock, so only the
// lock-free gates are closed. Either way, nothing writes to the response
// afterwards.
func (st *state) end(normal bool) {
	st.mu.Lock()
	conns, streams := st.conns, st.streams
	st.conns, st.streams = nil, nil
	st.mu.Unlock()
	if normal {
		for _, s := range streams {
			s.Close() //nolint:errcheck // the stream records its own end
		}
	}
	for _, cn := range conns {
		cn.finish()
	}
}

func (st *state) logger() *slog.Logger {
	if st != nil && st.cfg.Logger != nil {
		return st.cfg.Logger
	}
	return slog.Default()
}

func (st *state) registry() *core.Registry {
	if st == nil {
		return nil
	}
	return st.cfg.Registry
}

// Middleware returns the gin middleware for stream routes. Register it on
// the routes or groups that stream, before any compression middleware:
//
//	r.Use(streamgin.Middleware(&streamgin.Config{Registry: reg}), gzip.Gzip(gzip.DefaultCompression))
//
// For each request it
//
//   - hands cfg.Registry to the helpers ([SSE], [NDJSON], [Chunked] and the
//     handler constructors), which use it when their options name none;
//   - remembers c.Writer as it is now, so that a stream can set its write
//     deadline, and lift the server's WriteTimeout, even under a wrapper
//     installed later that hides it (gin-contrib/gzip), and can read the
//     connection's errors beneath such a wrapper;
//   - when the handler chain returns, closes the streams the helpers
//     opened and stops every Conn from writing, so that nothing reaches a
//     response gin has finished;
//   - recovers a panic of the handlers after it. Before anything was
//     sent, the client gets an ordinary 500 with a plain-text body; once
//     the stream has started, the status is gone, so the stream just ends
//     cleanly (on HTTP/1.1 with its final chunk) and no second status line
//     is attempted. Either way the panic and its stack are logged to
//     cfg.Logger, and the remaining handlers do not run. A panic with
//     http.ErrAbortHandler is passed on: it asks net/http to cut the
//     connection.
//
// The middleware is safe for concurrent use by any number of requests.
func Middleware(cfg *Config) gin.HandlerFunc {
	conf := &Config{}
	if cfg != nil {
		*conf = *cfg
	}
	return func(c *gin.Context) {
		st := &state{cfg: conf, base: c.Writer}
		c.Set(stateKey{}, st)
		defer func() {
			p := recover()
			st.end(p == nil)
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler { //nolint:errorlint // net/http compares it so
				panic(p)
			}
			st.recovered(c, p)
		}()
		c.Next()
	}
}

// recovered handles a panic of the handler chain.
func (st *state) recovered(c *gin.Context, p any) {
	c.Abort()
	log := st.logger()
	attrs := []any{
		"panic", fmt.Sprint(p),
		"method", c.Request.Method,
		"path", c.Request.URL.Path,
		"stack", string(debug.Stack()),
	}
	if c.Writer.Written() {
		log.Error("streamgin: panic while streaming; the stream was ended", attrs...)
		return
	}
	log.Error("streamgin: panic before streaming; answered 500", attrs...)
	plainError(c, http.StatusInternalServerError, "streamgin: internal server error")
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
