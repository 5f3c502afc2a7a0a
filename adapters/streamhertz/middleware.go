package streamhertz

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/streamkit/streamkit/core"
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

// state is what Middleware leaves for the helpers of one request.
type state struct {
	cfg *Config

	mu      sync.Mutex
	streams []*core.Stream
}

func stateOf(ctx *app.RequestContext) *state {
	v, _ := ctx.Get(stateKey)
	st, _ := v.(*state)
	return st
}

// track records a stream a helper opened, for the middleware to close.
func (st *state) track(s *core.Stream) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.streams = append(st.streams, s)
	st.mu.Unlock()
}

// closeStreams closes the streams the helpers opened (a no-op for those
// already closed), which sends what a forgotten Close left buffered.
func (st *state) closeStreams() {
	st.mu.Lock()
	streams := st.streams
	st.streams = nil
	st.mu.Unlock()
	for _, s := range streams {
		s.Close() //nolint:errcheck // the stream records its own end
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
		st := &state{cfg: conf}
		ctx.Set(stateKey, st)
		defer func() {
			p := recover()
			b := boundTo(ctx)
			if p == nil {
				st.closeStreams()
				if b != nil {
					b.keep()
					b.release()
				}
				return
			}
			st.recovered(ctx, b, p)
		}()
		ctx.Next(c)
	}
}

// recovered handles a panic of the handler chain. It does not close the
// streams: the panic may have struck while one held its lock.
func (st *state) recovered(ctx *app.RequestContext, b *binding, p any) {
	ctx.Abort()
	streaming := false
	if b != nil {
		streaming = b.abandon()
		b.keep()
	}
	attrs := []any{
		"panic", fmt.Sprint(p),
		"method", string(ctx.Method()),
		"path", string(ctx.Path()),
		"stack", string(debug.Stack()),
	}
	if streaming {
		st.logger().Error("streamhertz: panic while streaming; the stream was ended", attrs...)
		return
	}
	st.logger().Error("streamhertz: panic before streaming; answered 500", attrs...)
	plainError(ctx, http.StatusInternalServerError, "streamhertz: internal server error")
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
