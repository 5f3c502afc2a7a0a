package streamechov5

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

// Config configures [Middleware]. The zero value, and a nil *Config, mean
// no registry, panics passed on, and slog.Default() for logging. Middleware
// copies it, so changing a Config afterwards has no effect; the Registry it
// points to is shared by every request and is safe for concurrent use.
type Config struct {
	// Registry is joined by every stream the helpers open under the
	// middleware whose options name no registry of their own: it counts
	// them, caps how many are open at once (core.Registry.Limit; a stream
	// past the cap is answered with 503 and Retry-After), and shuts them
	// down gracefully.
	Registry *core.Registry

	// Recover makes the middleware recover a panic of the handlers after
	// it: logged with its stack to Logger, then answered with a plain-text
	// 500 before the response was committed, or, once the stream has
	// started, by ending the stream cleanly (on HTTP/1.1 with its final
	// chunk); the middleware then returns nil, leaving nothing for echo's
	// error handler. A panic with http.ErrAbortHandler is passed on even
	// then. When false, the default, a panic goes on unchanged, for echo's
	// Recover middleware or your own, once the middleware has stopped the
	// streams the handler left open.
	Recover bool

	// Logger receives the panics the middleware recovers, with their
	// stacks; nil means slog.Default() at the time of logging. Errors that
	// end a HubTopic stream are returned to echo instead, for its logging
	// middleware.
	Logger *slog.Logger
}

// stateKey is the echo.Context key of the middleware's per-request state.
const stateKey = "github.com/streamkit/streamkit/adapters/streamechov5.state"

// stateOf returns the state Middleware left for the helpers of c's
// request, nil outside the middleware.
func stateOf(c *echo.Context) *adapter.State {
	st, _ := c.Get(stateKey).(*adapter.State)
	return st
}

// Middleware returns the echo middleware for stream routes. Register it on
// the routes or groups that stream, after compression middleware (inside
// it), and leave echo's ContextTimeout middleware off those routes (it
// ends streams at its deadline):
//
//	e.Group("/events", middleware.Gzip(), streamechov5.Middleware(&streamechov5.Config{Registry: reg}))
//
// The order matters for a stream the handler leaves open: the middleware
// closes it when the handler returns, and that last flush must reach echo's
// Gzip writer before Gzip finishes the body and returns its compressor to
// a pool shared with other requests.
//
// For each request it
//
//   - hands cfg.Registry to the helpers ([SSE], [NDJSON], [Chunked] and
//     [HubTopic]), which use it when their options name none;
//   - remembers c.Response() as it is now, so that a stream can set its
//     write deadline, and lift the server's WriteTimeout, even under a
//     wrapper installed later that hides it;
//   - when the handler chain returns, closes the streams the helpers
//     opened and stops every Conn from writing, so that nothing reaches a
//     response echo has finished;
//   - after a panic of the handlers, stops every Conn from writing and
//     passes the panic on unchanged, or, with cfg.Recover, recovers it
//     (see [Config]).
//
// The middleware is safe for concurrent use by any number of requests.
func Middleware(cfg *Config) echo.MiddlewareFunc {
	conf := &Config{}
	if cfg != nil {
		*conf = *cfg
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) (err error) {
			st := adapter.NewState("streamechov5", conf.Registry, conf.Logger, c.Response())
			c.Set(stateKey, st)
			var onPanic func(any)
			if conf.Recover {
				onPanic = func(p any) {
					recovered(c, st, p)
					err = nil
				}
			}
			st.Run(func() { err = next(c) }, onPanic)
			return err
		}
	}
}

// recovered handles a panic of the handler chain, after st.End, under
// Config.Recover.
func recovered(c *echo.Context, st *adapter.State, p any) {
	req := c.Request()
	streaming := committed(c)
	st.LogPanic(p, req.Method, req.URL.Path, streaming)
	if !streaming {
		plainError(c, http.StatusInternalServerError, "streamechov5: internal server error")
	}
}

// committed reports whether c's response has sent its status line, as far
// as echo's Response beneath c.Response() knows.
func committed(c *echo.Context) bool {
	res, _ := echo.UnwrapResponse(c.Response())
	return res != nil && res.Committed
}

// plainError answers c with status and a plain-text message, dropping the
// headers a stream had set, if the response is not committed yet.
func plainError(c *echo.Context, status int, msg string) {
	if committed(c) {
		return
	}
	h := c.Response().Header()
	h.Del("X-Accel-Buffering")
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentType, echo.MIMETextPlainCharsetUTF8)
	c.String(status, msg+"\n") //nolint:errcheck // best effort: the client may be gone
}
