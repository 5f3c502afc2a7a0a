package streamhertz

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/internal/adapterkit"
)

// Config configures [Middleware]. The zero value, and a nil *Config, mean
// no registry and slog.Default() for logging.
type Config struct {
	// Registry is joined by every stream the helpers open under the
	// middleware whose options name no registry of their own: it counts
	// them, caps how many are open at once (core.Registry.Limit; a stream
	// past the cap is answered with 503 and Retry-After), and shuts them
	// down gracefully.
	Registry *core.Registry

	// Logger receives panics recovered by the middleware and the errors
	// that ended streams served by the handler constructors; nil means
	// slog.Default() at the time of logging.
	Logger *slog.Logger
}

// stateKey is the RequestContext key of the middleware's per-request state.
const stateKey = "github.com/streamkit/streamkit/adapters/streamhertz.state"

// stateOf returns the state Middleware left for the helpers of ctx's
// request, nil outside the middleware.
func stateOf(ctx *app.RequestContext) *adapterkit.State {
	v, _ := ctx.Get(stateKey)
	st, _ := v.(*adapterkit.State)
	return st
}

// Middleware returns the hertz middleware for stream routes. Register it on
// the routes or groups that stream:
//
//	h.GET("/events", streamhertz.Middleware(&streamhertz.Config{Registry: reg}), handler)
//
// For each request it
//
//   - answers 500 with a plain-text reason, without running the handler,
//     when the request cannot be streamed (see [Conn]: HTTP/2 through
//     hertz-contrib/http2, a hijacked connection);
//   - hands cfg.Registry to the helpers ([SSE], [NDJSON], [Chunked] and the
//     handler constructors), which use it when their options name none;
//   - when the handler chain returns, closes the streams the helpers
//     opened and stops the Conn from writing, and keeps hertz from writing
//     a second response after a stream that went out (if something reset
//     the response meanwhile);
//   - recovers a panic of the handlers after it. Before anything was sent,
//     the client gets an ordinary 500 with a plain-text body; once the
//     stream has started, the status is gone, so the stream just ends
//     cleanly (on HTTP/1.1 with its final chunk) and no second status line
//     is written. Either way the panic and its stack are logged to
//     cfg.Logger, the remaining handlers do not run, and the panic goes no
//     further: a Recovery middleware outside this one does not see it.
//
// The middleware is safe for concurrent use by any number of requests.
func Middleware(cfg *Config) app.HandlerFunc {
	conf := &Config{}
	if cfg != nil {
		*conf = *cfg
	}
	return func(c context.Context, ctx *app.RequestContext) {
		if err := streamable(ctx); err != nil {
			plainError(ctx, http.StatusInternalServerError, err.Error())
			ctx.Abort()
			return
		}
		st := adapterkit.NewState("streamhertz", conf.Registry, conf.Logger, nil)
		ctx.Set(stateKey, st)
		defer func() {
			p := recover()
			// After a panic, End closes no stream: the panic may have
			// struck while one held its lock.
			st.End(p == nil)
			b := boundTo(ctx)
			if p == nil {
				if b != nil {
					b.keep()
					b.release()
				}
				return
			}
			recovered(ctx, st, b, p)
		}()
		ctx.Next(c)
	}
}

// recovered handles a panic of the handler chain, after st.End.
func recovered(ctx *app.RequestContext, st *adapterkit.State, b *binding, p any) {
	ctx.Abort()
	streaming := false
	if b != nil {
		streaming = b.abandon()
		b.keep()
	}
	st.LogPanic(p, string(ctx.Method()), string(ctx.Path()), streaming)
	if !streaming {
		plainError(ctx, http.StatusInternalServerError, "streamhertz: internal server error")
	}
}

// plainError answers ctx with status and a plain-text message, dropping the
// headers a stream had set and any body set so far, unless a stream has
// already sent its header.
func plainError(ctx *app.RequestContext, status int, msg string) {
	if b := boundTo(ctx); b != nil && !b.unstart() {
		return
	}
	ctx.Response.ResetBody()
	h := &ctx.Response.Header
	h.Del("X-Accel-Buffering")
	h.Set("Cache-Control", "no-store")
	ctx.Data(status, "text/plain; charset=utf-8", []byte(msg+"\n"))
}
