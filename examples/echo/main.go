// Command echo is the streamkit demo app on echo: the routes of the
// demo-app contract on an echo router, streamed with the streamecho
// adapter, its middleware on the stream routes.
//
//	go run ./echo -addr 127.0.0.1:8080
package main

import (
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/streamkit/streamkit/adapters/streamecho"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/examples/internal/demo"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

func main() { demo.Main("echo", nil, nil, run) }

func run(cfg *demo.Config) error {
	reg := cfg.Registry()
	tel, err := demo.NewTelemetry(cfg, reg, os.Stdout) // GET /metrics, -otel-stdout
	if err != nil {
		return err
	}
	h, closeHub, err := demo.NewHub(cfg, reg)
	if err != nil {
		return err
	}
	a := &app{cfg: cfg, reg: reg, hub: h}
	ai := demo.NewAI(cfg.AI, h, &sse.Options{Heartbeat: cfg.Heartbeat, Registry: reg})
	defer ai.Close()

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.Pre(rejectBadQuery) // a query net/url refuses gets 400 before any route
	e.GET("/", a.page)
	e.GET("/healthz", a.healthz)
	e.GET("/stats", a.stats)
	e.GET("/metrics", echo.WrapHandler(tel))
	e.POST("/topics/:topic", a.publish)
	e.POST("/upload", a.upload)

	// The stream routes: the middleware gives their streams the registry,
	// and closes whatever a handler left open when it returns.
	streams := e.Group("", streamecho.Middleware(&streamecho.Config{Registry: reg}))
	streams.GET("/sse/ticks", a.sseTicks)
	streams.GET("/sse/echo", a.sseEcho)
	streams.POST("/sse/echo", a.sseEcho) // fields too large for a query
	streams.GET("/sse/topics/:topic", streamecho.HubTopic(h, "topic", a.sseOptions(false)))
	streams.GET("/ndjson/ticks", a.ndjsonTicks)
	streams.GET("/chunked/download", a.download)

	// The AI routes: the simulated model, the relay, and resumable chats.
	aiRoutes := ai.Handler()
	e.POST("/v1/chat/completions", echo.WrapHandler(aiRoutes))
	e.POST("/ai/v1/chat/completions", echo.WrapHandler(aiRoutes))
	e.POST("/api/chat", echo.WrapHandler(aiRoutes))
	e.GET("/api/chat/:id/stream", echo.WrapHandler(aiRoutes))
	e.DELETE("/api/chat/:id/stream", echo.WrapHandler(aiRoutes))

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		closeHub()
		return err
	}
	e.Listener = ln
	// e.Server is the server e.Shutdown stops.
	demo.Limit(e.Server) // header size, header and idle timeouts: see demo.MaxHeaderBytes
	ai.Listening(ln.Addr())
	demo.Announce(os.Stdout, "echo", ln.Addr())
	serve := func() error {
		if err := e.StartServer(e.Server); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return demo.Run(os.Stderr, serve, e.Shutdown, reg, tel.Closing(closeHub))
}

type app struct {
	cfg *demo.Config
	reg *core.Registry
	hub *hub.Hub
}

// sseOptions are the options of every event stream; the middleware adds
// the registry. Ticks sent as fast as possible are coalesced.
func (a *app) sseOptions(coalesce bool) *sse.Options {
	o := &sse.Options{Heartbeat: a.cfg.Heartbeat}
	if coalesce {
		o.Flush = core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: 10 * time.Millisecond}
	}
	return o
}

// query is the demo's view of echo's query string.
func query(c echo.Context) demo.Query { return demo.URLQuery(c.QueryParams()) }

// rejectBadQuery answers 400 to a request whose query net/url refuses:
// echo's QueryParams would drop it whole without a word.
func rejectBadQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := demo.CheckQuery(c.QueryString()); err != nil {
			return badRequest(c, err)
		}
		return next(c)
	}
}

// badRequest answers 400 with a plain-text reason; echo's own HTTPError
// would render it as JSON.
func badRequest(c echo.Context, err error) error {
	return c.String(http.StatusBadRequest, err.Error())
}

func (a *app) page(c echo.Context) error {
	return c.Blob(http.StatusOK, demo.PageContentType, demo.Page())
}

func (a *app) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

func (a *app) stats(c echo.Context) error {
	return c.JSON(http.StatusOK, demo.StatsOf(a.reg))
}

func (a *app) sseTicks(c echo.Context) error {
	t, err := demo.ParseTicks(query(c))
	if err != nil {
		return badRequest(c, err)
	}
	last, err := sse.LastEventID(c.Request())
	if err != nil {
		return badRequest(c, err)
	}
	next, done, err := t.Resume(last)
	if err != nil {
		return badRequest(c, err)
	}
	if done {
		return c.NoContent(http.StatusNoContent) // the client has every tick: stop reconnecting
	}
	s, err := streamecho.SSE(c, a.sseOptions(t.Interval == 0))
	if err != nil {
		return err // already answered
	}
	defer s.Close()
	t.Run(s.Context(), next, func(n int) error {
		e := demo.TickEvent(n)
		return s.Send(&e)
	})
	return nil
}

func (a *app) sseEcho(c echo.Context) error {
	q := query(c)
	var err error
	if c.Request().Method == http.MethodPost {
		q, err = demo.EchoForm(c.Request().Body)
	}
	var event []byte
	if err == nil {
		event, err = demo.ParseEcho(q)
	}
	if err != nil {
		return badRequest(c, err)
	}
	s, err := streamecho.SSE(c, a.sseOptions(false))
	if err != nil {
		return err
	}
	defer s.Close()
	s.Core().Write(event) // pre-encoded bytes: the escape hatch
	return nil
}

func (a *app) publish(c echo.Context) error {
	r := c.Request()
	id, status, err := demo.Publish(r.Context(), a.hub, c.Param("topic"), query(c),
		r.Header.Get(demo.IdempotencyKeyHeader), r.ContentLength, r.Body)
	if err != nil {
		return c.String(status, err.Error())
	}
	return c.JSON(http.StatusOK, map[string]string{"id": id})
}

func (a *app) ndjsonTicks(c echo.Context) error {
	t, err := demo.ParseTicks(query(c))
	if err != nil {
		return badRequest(c, err)
	}
	opts := &ndjson.Options{}
	if t.Interval == 0 {
		opts.Flush = core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: 10 * time.Millisecond}
	}
	s, err := streamecho.NDJSON(c, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	t.Run(s.Context(), 1, func(n int) error { return s.Encode(demo.Tick{N: n}) })
	return nil
}

func (a *app) download(c echo.Context) error {
	size, err := demo.ParseDownload(query(c))
	if err != nil {
		return badRequest(c, err)
	}
	s, err := streamecho.Chunked(c, nil)
	if err != nil {
		return err // already answered
	}
	defer s.Close()
	chunked.Copy(s, demo.NewPattern(size), nil)
	return nil
}

func (a *app) upload(c echo.Context) error {
	topic, err := demo.ProgressTopic(query(c))
	if err != nil {
		return badRequest(c, err)
	}
	progress := demo.NewProgress(a.hub, topic)
	u, err := streamecho.Upload(c, a.cfg.UploadOptions(progress))
	if err != nil {
		progress.Fail(err)
		return err // an *echo.HTTPError: 413 or 400, answered by echo
	}
	res, err := demo.HashUpload(u)
	if err != nil {
		progress.Fail(err)
		return echo.NewHTTPError(upload.Status(err), err.Error()).SetInternal(err)
	}
	progress.Done(res)
	return c.JSON(http.StatusOK, res)
}
