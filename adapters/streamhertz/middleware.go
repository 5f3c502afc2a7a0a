package streamhertz

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

// Config configures [Middleware]. The zero value, and a nil *Config, mean
// no registry, panics passed on, and slog.Default() for logging.
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
	// its final chunk); the remaining handlers do not run. When false, the
	// default, a panic goes on unchanged, for hertz's recovery middleware
	// (server.Default installs one) or your own, once the middleware has
	// stopped the stream the handler left open. An outer recovery must not
	// reset the response once a stream went out (ctx.AbortWithMsg does;
	// hertz's recovery.Recovery, which only sets the status, does not):
	// hertz would write a second response after the stream.
	Recover bool

	// Logger receives panics recovered by the middleware and the errors
	// that ended HubTopic streams; nil means slog.Default() at the time of
	// logging.
	Logger *slog.Logger
}

// stateKey is the RequestContext key of the middleware's per-request state.
const stateKey = "github.com/streamkit/streamkit/adapters/streamhertz.state"

// stateOf returns the state Middleware left for the helpers of ctx's
// request, nil outside the middleware.
func stateOf(ctx *app.RequestContext) *adapter.State {
	v, _ := ctx.Get(stateKey)
	st, _ := v.(*adapter.State)
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
//   - hands cfg.Registry to the helpers ([SSE], [NDJSON], [Chunked] and
//     [HubTopic]), which use it when their options name none;
//   - when the handler chain returns, closes the streams the helpers
//     opened and stops the Conn from writing, and keeps hertz from writing
//     a second response after a stream that went out (if something reset
//     the response meanwhile);
//   - after a panic of the handlers, stops the Conn from writing and
//     passes the panic on unchanged, or, with cfg.Recover, recovers it
//     (see [Config]).
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
		st := adapter.NewState("streamhertz", conf.Registry, conf.Logger, nil)
		ctx.Set(stateKey, st)
		normal, recovered := false, false
		var onPanic func(any)
		if conf.Recover {
			onPanic = func(p any) {
				recovered = true
				recoverPanic(ctx, st, boundTo(ctx), p)
			}
		}
		defer func() {
			b := boundTo(ctx)
			switch {
			case b == nil || recovered:
			case normal:
				b.keep()
				b.release()
			default:
				// Run has ended the State after a panic it let through:
				// stop the binding too, and let the panic go on.
				b.abandon()
				b.keep()
			}
		}()
		st.Run(func() { ctx.Next(c) }, onPanic)
		normal = true
	}
}

// recoverPanic handles a panic of the handler chain, after st.End, under
// Config.Recover.
func recoverPanic(ctx *app.RequestContext, st *adapter.State, b *binding, p any) {
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
