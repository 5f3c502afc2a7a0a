// Command hertz is the streamkit demo app on hertz: the routes of the
// demo-app contract on a hertz router, streamed with the streamhertz
// adapter, its middleware on the stream routes, on either of hertz's
// transports.
//
//	go run ./hertz -addr 127.0.0.1:8080 -transport netpoll
//
// The server senses client disconnections (WithSenseClientDisconnection),
// so a stream ends as soon as its client leaves, and reads request bodies
// as streams (WithStreamBody), so an upload is hashed as it arrives. On
// the netpoll transport, netpoll itself still reads a body into its own
// buffers as fast as the client sends it; use -transport standard when
// uploads are large.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/adaptor"
	"github.com/cloudwego/hertz/pkg/common/config"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/cloudwego/hertz/pkg/network"
	"github.com/cloudwego/hertz/pkg/network/netpoll"
	"github.com/cloudwego/hertz/pkg/network/standard"

	"github.com/streamkit/streamkit/adapters/streamhertz"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/examples/internal/demo"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

func main() {
	var transport string
	demo.Main("hertz",
		func(fs *flag.FlagSet) {
			fs.StringVar(&transport, "transport", "netpoll", "hertz transport: standard or netpoll")
		},
		func() error {
			if transport != "standard" && transport != "netpoll" {
				return fmt.Errorf("-transport must be standard or netpoll, got %q", transport)
			}
			return nil
		},
		func(cfg *demo.Config) error { return run(cfg, transport) })
}

func run(cfg *demo.Config, transport string) error {
	reg := cfg.Registry()
	tel, err := demo.NewTelemetry(cfg, reg, os.Stdout) // GET /metrics, -otel-stdout
	if err != nil {
		return err
	}
	hb, closeHub, err := demo.NewHub(cfg, reg)
	if err != nil {
		return err
	}
	a := &handlers{cfg: cfg, reg: reg, hub: hb}
	ai := demo.NewAI(cfg.AI, hb, a.sseOptions(false))
	defer ai.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		closeHub()
		return err
	}
	newTransport := netpoll.NewTransporter
	if transport == "standard" {
		newTransport = standard.NewTransporter
	}
	hlog.SetLevel(hlog.LevelWarn)
	h := server.New(
		server.WithListener(ln),
		server.WithTransport(func(o *config.Options) network.Transporter { return newTransport(o) }),
		// End a stream's context the moment its client leaves.
		server.WithSenseClientDisconnection(true),
		// Hand request bodies to handlers as streams. MaxRequestBodySize
		// is then only how much of a body hertz reads before any handler
		// runs (at most 8 KiB, whatever it is set to): keep it minimal, so
		// that an upload over the limit is refused after a couple of bytes
		// and the bounds on slow uploads apply from the start.
		server.WithStreamBody(true),
		server.WithMaxRequestBodySize(1),
		server.WithDisablePreParseMultipartForm(true),
		// The limits of every example server (see demo.MaxHeaderBytes).
		// hertz has no header timeout of its own: its read timeout bounds
		// reading a request (on the standard transport the whole of it,
		// on netpoll each wait), until an upload's bounds take over.
		server.WithMaxHeaderBytes(demo.MaxHeaderBytes),
		server.WithReadTimeout(demo.ReadHeaderTimeout),
		server.WithIdleTimeout(demo.IdleTimeout),
		// The standard transport applies the read timeout from a
		// connection's second request on; bound the first one too.
		server.WithOnConnect(func(c context.Context, conn network.Conn) context.Context {
			conn.SetReadTimeout(demo.ReadHeaderTimeout) //nolint:errcheck // best effort
			return c
		}),
		// hertz's Shutdown waits for every connection to close, idle
		// keep-alive ones included, until this time has passed. Open
		// streams have ended by then (the registry shuts them down first),
		// so it only bounds how long other requests may finish.
		server.WithExitWaitTime(2*time.Second),
		server.WithDisablePrintRoute(true),
	)

	// hertz answers "Expect: 100-continue" itself, before any handler:
	// refuse an oversized body there, before the client sends it.
	h.ContinueHandler = streamhertz.ContinueLimit(max(cfg.MaxUpload, demo.MaxPublish))
	h.Use(rejectBadQuery) // a query net/url refuses gets 400 before any route

	h.GET("/", a.page)
	h.GET("/healthz", a.healthz)
	h.GET("/stats", a.stats)
	h.GET("/metrics", adaptor.HertzHandler(tel))
	h.POST("/topics/:topic", a.publish)
	h.POST("/upload", a.upload)

	// The stream routes: the middleware gives their streams the registry,
	// and closes whatever a handler left open when it returns.
	streams := h.Group("/", streamhertz.Middleware(&streamhertz.Config{Registry: reg}))
	streams.GET("/sse/ticks", a.sseTicks)
	streams.GET("/sse/echo", a.sseEcho)
	streams.POST("/sse/echo", a.sseEcho) // fields too large for a query
	streams.GET("/sse/topics/:topic", streamhertz.HubTopic(hb, "topic", a.sseOptions(false)))
	streams.GET("/ndjson/ticks", a.ndjsonTicks)
	streams.GET("/chunked/download", a.download)
	aiRoutes(streams, ai)

	ai.Listening(ln.Addr())
	demo.Announce(os.Stdout, "hertz ("+transport+")", ln.Addr())
	var stopping atomic.Bool
	serve := func() error {
		err := h.Run()
		if stopping.Load() {
			return nil
		}
		return err
	}
	shutdown := func(ctx context.Context) error {
		stopping.Store(true)
		return h.Shutdown(ctx)
	}
	return demo.Run(os.Stderr, serve, shutdown, reg, tel.Closing(closeHub))
}

// handlers holds what the handlers share (app is the name of hertz's package).
type handlers struct {
	cfg *demo.Config
	reg *core.Registry
	hub *hub.Hub
}

// sseOptions are the options of every event stream; the middleware adds
// the registry. Ticks sent as fast as possible are coalesced.
func (a *handlers) sseOptions(coalesce bool) *sse.Options {
	o := &sse.Options{Heartbeat: a.cfg.Heartbeat}
	if coalesce {
		o.Flush = core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: 10 * time.Millisecond}
	}
	return o
}

// query is the demo's view of hertz's query arguments.
func query(ctx *app.RequestContext) demo.Query {
	args := ctx.QueryArgs()
	return func(name string) (string, bool) {
		if !args.Has(name) {
			return "", false
		}
		return string(args.Peek(name)), true
	}
}

// rejectBadQuery answers 400 to a request whose query net/url refuses, as
// the other example servers do.
func rejectBadQuery(c context.Context, ctx *app.RequestContext) {
	if err := demo.CheckQuery(string(ctx.URI().QueryString())); err != nil {
		ctx.String(http.StatusBadRequest, err.Error())
		ctx.Abort()
	}
}

func (a *handlers) page(c context.Context, ctx *app.RequestContext) {
	ctx.Data(http.StatusOK, demo.PageContentType, demo.Page())
}

func (a *handlers) healthz(c context.Context, ctx *app.RequestContext) {
	ctx.String(http.StatusOK, "ok")
}

func (a *handlers) stats(c context.Context, ctx *app.RequestContext) {
	ctx.JSON(http.StatusOK, demo.StatsOf(a.reg))
}

func (a *handlers) sseTicks(c context.Context, ctx *app.RequestContext) {
	t, err := demo.ParseTicks(query(ctx))
	if err != nil {
		ctx.String(http.StatusBadRequest, err.Error())
		return
	}
	last, err := streamhertz.LastEventID(ctx)
	if err != nil {
		ctx.String(http.StatusBadRequest, err.Error())
		return
	}
	next, done, err := t.Resume(last)
	if err != nil {
		ctx.String(http.StatusBadRequest, err.Error())
		return
	}
	if done {
		ctx.Status(http.StatusNoContent) // the client has every tick: stop reconnecting
		return
	}
	s, err := streamhertz.SSE(c, ctx, a.sseOptions(t.Interval == 0))
	if err != nil {
		return // already answered
	}
	defer s.Close()
	t.Run(s.Context(), next, func(n int) error {
		e := demo.TickEvent(n)
		return s.Send(&e)
	})
}

func (a *handlers) sseEcho(c context.Context, ctx *app.RequestContext) {
	q := query(ctx)
	var err error
	if string(ctx.Method()) == http.MethodPost {
		q, err = demo.EchoForm(ctx.RequestBodyStream())
	}
	var event []byte
	if err == nil {
		event, err = demo.ParseEcho(q)
	}
	if err != nil {
		ctx.String(http.StatusBadRequest, err.Error())
		return
	}
	s, err := streamhertz.SSE(c, ctx, a.sseOptions(false))
	if err != nil {
		return
	}
	defer s.Close()
	s.Core().Write(event) // pre-encoded bytes: the escape hatch
}

func (a *handlers) publish(c context.Context, ctx *app.RequestContext) {
	id, status, err := demo.Publish(c, a.hub, ctx.Param("topic"), query(ctx),
		string(ctx.GetHeader(demo.IdempotencyKeyHeader)), int64(ctx.Request.Header.ContentLength()), ctx.RequestBodyStream())
	if err != nil {
		if status == http.StatusRequestEntityTooLarge {
			ctx.SetConnectionClose() // the rest of the body is unread
		}
		ctx.String(status, err.Error())
		return
	}
	ctx.JSON(http.StatusOK, map[string]string{"id": id})
}

func (a *handlers) ndjsonTicks(c context.Context, ctx *app.RequestContext) {
	t, err := demo.ParseTicks(query(ctx))
	if err != nil {
		ctx.String(http.StatusBadRequest, err.Error())
		return
	}
	opts := &ndjson.Options{}
	if t.Interval == 0 {
		opts.Flush = core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: 10 * time.Millisecond}
	}
	s, err := streamhertz.NDJSON(c, ctx, opts)
	if err != nil {
		return
	}
	defer s.Close()
	t.Run(s.Context(), 1, func(n int) error { return s.Encode(demo.Tick{N: n}) })
}

func (a *handlers) download(c context.Context, ctx *app.RequestContext) {
	size, err := demo.ParseDownload(query(ctx))
	if err != nil {
		ctx.String(http.StatusBadRequest, err.Error())
		return
	}
	s, err := streamhertz.Chunked(c, ctx, nil)
	if err != nil {
		return // already answered
	}
	defer s.Close()
	chunked.Copy(s, demo.NewPattern(size), nil)
}

func (a *handlers) upload(c context.Context, ctx *app.RequestContext) {
	topic, err := demo.ProgressTopic(query(ctx))
	if err != nil {
		ctx.String(http.StatusBadRequest, err.Error())
		return
	}
	progress := demo.NewProgress(a.hub, topic)
	u, err := streamhertz.Upload(ctx, a.cfg.UploadOptions(progress))
	if err != nil {
		progress.Fail(err)
		return // refused before reading: already answered (413 or 400)
	}
	res, err := demo.HashUpload(u)
	if err != nil {
		progress.Fail(err)
		ctx.SetConnectionClose() // the rest of the body is unread
		ctx.String(upload.Status(err), err.Error())
		return
	}
	progress.Done(res)
	ctx.JSON(http.StatusOK, res)
}
