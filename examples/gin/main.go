// Command gin is the streamkit demo app on gin: the routes of the demo-app
// contract on a gin router, streamed with the streamgin adapter, its
// middleware on the stream routes.
//
//	go run ./gin -addr 127.0.0.1:8080
package main

import (
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapters/streamgin"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/examples/internal/demo"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

func main() { demo.Main("gin", nil, nil, run) }

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

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/", a.page)
	r.GET("/healthz", a.healthz)
	r.GET("/stats", a.stats)
	r.GET("/metrics", gin.WrapH(tel))
	r.POST("/topics/:topic", a.publish)
	r.POST("/upload", a.upload)

	// The stream routes: the middleware gives their streams the registry,
	// and closes whatever a handler left open when it returns.
	streams := r.Group("/", streamgin.Middleware(&streamgin.Config{Registry: reg}))
	streams.GET("/sse/ticks", a.sseTicks)
	streams.GET("/sse/echo", a.sseEcho)
	streams.POST("/sse/echo", a.sseEcho) // fields too large for a query
	streams.GET("/sse/topics/:topic", streamgin.HubTopic(h, "topic", a.sseOptions(false)))
	streams.GET("/ndjson/ticks", a.ndjsonTicks)
	streams.GET("/chunked/download", a.download)

	// The AI routes: the simulated model, the relay, and resumable chats.
	aiRoutes := ai.Handler()
	r.POST("/v1/chat/completions", gin.WrapH(aiRoutes))
	r.POST("/ai/v1/chat/completions", gin.WrapH(aiRoutes))
	r.POST("/api/chat", gin.WrapH(aiRoutes))
	r.GET("/api/chat/:id/stream", gin.WrapH(aiRoutes))
	r.DELETE("/api/chat/:id/stream", gin.WrapH(aiRoutes))

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		closeHub()
		return err
	}
	// A query net/url refuses gets 400 before any route.
	srv := &http.Server{Handler: demo.RejectBadQuery(r)}
	demo.Limit(srv) // header size, header and idle timeouts: see demo.MaxHeaderBytes
	ai.Listening(ln.Addr())
	demo.Announce(os.Stdout, "gin", ln.Addr())
	serve := func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return demo.Run(os.Stderr, serve, srv.Shutdown, reg, tel.Closing(closeHub))
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

// query is the demo's view of gin's query string.
func query(c *gin.Context) demo.Query { return demo.URLQuery(c.Request.URL.Query()) }

func (a *app) page(c *gin.Context) {
	c.Data(http.StatusOK, demo.PageContentType, demo.Page())
}

func (a *app) healthz(c *gin.Context) {
	c.String(http.StatusOK, "ok")
}

func (a *app) stats(c *gin.Context) {
	c.JSON(http.StatusOK, demo.StatsOf(a.reg))
}

func (a *app) sseTicks(c *gin.Context) {
	t, err := demo.ParseTicks(query(c))
	if err != nil {
		c.String(http.StatusBadRequest, err.Error())
		return
	}
	last, err := sse.LastEventID(c.Request)
	if err != nil {
		c.String(http.StatusBadRequest, err.Error())
		return
	}
	next, done, err := t.Resume(last)
	if err != nil {
		c.String(http.StatusBadRequest, err.Error())
		return
	}
	if done {
		c.Status(http.StatusNoContent) // the client has every tick: stop reconnecting
		return
	}
	s, err := streamgin.SSE(c, a.sseOptions(t.Interval == 0))
	if err != nil {
		return // already answered
	}
	defer s.Close()
	t.Run(s.Context(), next, func(n int) error {
		e := demo.TickEvent(n)
		return s.Send(&e)
	})
}

func (a *app) sseEcho(c *gin.Context) {
	q := query(c)
	var err error
	if c.Request.Method == http.MethodPost {
		q, err = demo.EchoForm(c.Request.Body)
	}
	var event []byte
	if err == nil {
		event, err = demo.ParseEcho(q)
	}
	if err != nil {
		c.String(http.StatusBadRequest, err.Error())
		return
	}
	s, err := streamgin.SSE(c, a.sseOptions(false))
	if err != nil {
		return
	}
	defer s.Close()
	s.Core().Write(event) // pre-encoded bytes: the escape hatch
}

func (a *app) publish(c *gin.Context) {
	id, status, err := demo.Publish(c.Request.Context(), a.hub, c.Param("topic"), query(c),
		c.GetHeader(demo.IdempotencyKeyHeader), c.Request.ContentLength, c.Request.Body)
	if err != nil {
		c.String(status, err.Error())
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": id})
}

func (a *app) ndjsonTicks(c *gin.Context) {
	t, err := demo.ParseTicks(query(c))
	if err != nil {
		c.String(http.StatusBadRequest, err.Error())
		return
	}
	opts := &ndjson.Options{}
	if t.Interval == 0 {
		opts.Flush = core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: 10 * time.Millisecond}
	}
	s, err := streamgin.NDJSON(c, opts)
	if err != nil {
		return
	}
	defer s.Close()
	t.Run(s.Context(), 1, func(n int) error { return s.Encode(demo.Tick{N: n}) })
}

func (a *app) download(c *gin.Context) {
	size, err := demo.ParseDownload(query(c))
	if err != nil {
		c.String(http.StatusBadRequest, err.Error())
		return
	}
	s, err := streamgin.Chunked(c, nil)
	if err != nil {
		return // already answered
	}
	defer s.Close()
	chunked.Copy(s, demo.NewPattern(size), nil)
}

func (a *app) upload(c *gin.Context) {
	topic, err := demo.ProgressTopic(query(c))
	if err != nil {
		c.String(http.StatusBadRequest, err.Error())
		return
	}
	progress := demo.NewProgress(a.hub, topic)
	u, err := streamgin.Upload(c, a.cfg.UploadOptions(progress))
	if err != nil {
		progress.Fail(err)
		return // refused before reading: already answered (413 or 400)
	}
	res, err := demo.HashUpload(u)
	if err != nil {
		progress.Fail(err)
		c.String(upload.Status(err), err.Error())
		return
	}
	progress.Done(res)
	c.JSON(http.StatusOK, res)
}
