// Command nethttp is the streamkit demo app on plain net/http: the routes
// of the demo-app contract on a ServeMux with method and pattern routes,
// under streamhttp's middleware, the handlers written with its helpers as
// the gin, echo, echov5 and hertz examples are with their adapters'.
//
//	go run ./nethttp -addr 127.0.0.1:8080
package main

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/examples/internal/demo"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/streamhttp"
	"github.com/streamkit/streamkit/upload"
)

func main() { demo.Main("nethttp", nil, nil, run) }

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
	ai := demo.NewAI(cfg.AI, h, a.sseOptions(false))
	defer ai.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.page)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /sse/ticks", a.sseTicks)
	mux.HandleFunc("GET /sse/echo", a.sseEcho)
	mux.HandleFunc("POST /sse/echo", a.sseEcho) // fields too large for a query
	mux.Handle("GET /sse/topics/{topic}", streamhttp.HubTopic(h, "topic", a.sseOptions(false)))
	mux.HandleFunc("POST /topics/{topic}", a.publish)
	mux.HandleFunc("GET /ndjson/ticks", a.ndjsonTicks)
	mux.HandleFunc("GET /chunked/download", a.download)
	mux.HandleFunc("POST /upload", a.upload)
	mux.HandleFunc("GET /stats", a.stats)
	aiRoutes := ai.Handler()
	mux.Handle("/v1/chat/completions", aiRoutes)
	mux.Handle("/ai/v1/chat/completions", aiRoutes)
	mux.Handle("/api/chat", aiRoutes)
	mux.Handle("/api/chat/{id}/stream", aiRoutes)
	mux.Handle("GET /metrics", tel)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		closeHub()
		return err
	}
	srv := &http.Server{
		// The middleware gives every stream the registry, and closes
		// whatever a handler left open when it returns; a query net/url
		// refuses gets 400 before any route.
		Handler: streamhttp.Middleware(&streamhttp.Config{Registry: reg})(demo.RejectBadQuery(mux)),
	}
	demo.Limit(srv) // header size, header and idle timeouts: see demo.MaxHeaderBytes
	ai.Listening(ln.Addr())
	demo.Announce(os.Stdout, "nethttp", ln.Addr())
	serve := func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return demo.Run(os.Stderr, serve, srv.Shutdown, reg, tel.Closing(closeHub))
}

// app holds what the handlers share. Every stream joins reg, through the
// middleware, which counts them for /stats and ends them gracefully on
// shutdown.
type app struct {
	cfg *demo.Config
	reg *core.Registry
	hub *hub.Hub
}

// sseOptions are the options of every event stream; the middleware adds
// the registry. Ticks sent as fast as possible are coalesced into fewer
// flushes.
func (a *app) sseOptions(coalesce bool) *sse.Options {
	o := &sse.Options{Heartbeat: a.cfg.Heartbeat}
	if coalesce {
		o.Flush = core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: 10 * time.Millisecond}
	}
	return o
}

func (a *app) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", demo.PageContentType)
	w.Write(demo.Page())
}

func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
}

func (a *app) sseTicks(w http.ResponseWriter, r *http.Request) {
	t, err := demo.ParseTicks(demo.URLQuery(r.URL.Query()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	last, err := sse.LastEventID(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	next, done, err := t.Resume(last)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if done {
		w.WriteHeader(http.StatusNoContent) // the client has every tick: stop reconnecting
		return
	}
	s, err := streamhttp.SSE(w, r, a.sseOptions(t.Interval == 0))
	if err != nil {
		return // already answered (500, 503), or the client left
	}
	defer s.Close()
	t.Run(s.Context(), next, func(n int) error {
		e := demo.TickEvent(n)
		return s.Send(&e)
	})
}

func (a *app) sseEcho(w http.ResponseWriter, r *http.Request) {
	q := demo.URLQuery(r.URL.Query())
	var err error
	if r.Method == http.MethodPost {
		q, err = demo.EchoForm(r.Body)
	}
	var event []byte
	if err == nil {
		event, err = demo.ParseEcho(q)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s, err := streamhttp.SSE(w, r, a.sseOptions(false))
	if err != nil {
		return
	}
	defer s.Close()
	s.Core().Write(event) // pre-encoded bytes: the escape hatch
}

func (a *app) publish(w http.ResponseWriter, r *http.Request) {
	id, status, err := demo.Publish(r.Context(), a.hub, r.PathValue("topic"), demo.URLQuery(r.URL.Query()),
		r.Header.Get(demo.IdempotencyKeyHeader), r.ContentLength, r.Body)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	writeJSON(w, map[string]string{"id": id})
}

func (a *app) ndjsonTicks(w http.ResponseWriter, r *http.Request) {
	t, err := demo.ParseTicks(demo.URLQuery(r.URL.Query()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	opts := &ndjson.Options{}
	if t.Interval == 0 {
		opts.Flush = core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: 10 * time.Millisecond}
	}
	s, err := streamhttp.NDJSON(w, r, opts)
	if err != nil {
		return
	}
	defer s.Close()
	t.Run(s.Context(), 1, func(n int) error { return s.Encode(demo.Tick{N: n}) })
}

func (a *app) download(w http.ResponseWriter, r *http.Request) {
	size, err := demo.ParseDownload(demo.URLQuery(r.URL.Query()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s, err := streamhttp.Chunked(w, r, nil)
	if err != nil {
		return
	}
	defer s.Close()
	chunked.Copy(s, demo.NewPattern(size), nil)
}

func (a *app) upload(w http.ResponseWriter, r *http.Request) {
	topic, err := demo.ProgressTopic(demo.URLQuery(r.URL.Query()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	progress := demo.NewProgress(a.hub, topic)
	opts := a.cfg.UploadOptions(progress)
	opts.SetReadDeadline = http.NewResponseController(w).SetReadDeadline // for the slow-body bounds
	u, err := upload.Read(r, opts)
	var res demo.UploadResult
	if err == nil {
		res, err = demo.HashUpload(u)
	}
	if err != nil {
		progress.Fail(err)
		http.Error(w, err.Error(), upload.Status(err))
		return
	}
	progress.Done(res)
	writeJSON(w, res)
}

func (a *app) stats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, demo.StatsOf(a.reg))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
