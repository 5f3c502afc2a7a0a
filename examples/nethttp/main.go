// Command nethttp is the streamkit demo app on plain net/http: the routes
// of the demo-app contract on a ServeMux with method and pattern routes, the
// handlers written with the root module's packages directly (core, sse,
// ndjson, chunked, hub): net/http needs no adapter.
//
//	go run ./nethttp -addr 127.0.0.1:8080
package main

import (
	"encoding/json"
	"errors"
	"fmt"
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
)

func main() { demo.Main("nethttp", nil, nil, run) }

func run(cfg *demo.Config) error {
	reg := &core.Registry{}
	tel, err := demo.NewTelemetry(cfg, reg, os.Stdout) // GET /metrics, -otel-stdout
	if err != nil {
		return err
	}
	h, closeHub, err := demo.NewHub(cfg, reg)
	if err != nil {
		return err
	}
	a := &app{cfg: cfg, reg: reg, hub: h}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.page)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /sse/ticks", a.sseTicks)
	mux.HandleFunc("GET /sse/echo", a.sseEcho)
	mux.HandleFunc("GET /sse/topics/{topic}", a.subscribe)
	mux.HandleFunc("POST /topics/{topic}", a.publish)
	mux.HandleFunc("GET /ndjson/ticks", a.ndjsonTicks)
	mux.HandleFunc("GET /chunked/download", a.download)
	mux.HandleFunc("POST /upload", a.upload)
	mux.HandleFunc("GET /stats", a.stats)
	mux.Handle("GET /metrics", tel)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		closeHub()
		return err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		// /sse/echo carries its event in the query string.
		MaxHeaderBytes: 8 << 20,
	}
	demo.Announce(os.Stdout, "nethttp", ln.Addr())
	serve := func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return demo.Run(os.Stderr, serve, srv.Shutdown, reg, tel.Closing(closeHub))
}

// app holds what the handlers share. Every stream joins reg, which counts
// them for /stats and ends them gracefully on shutdown.
type app struct {
	cfg *demo.Config
	reg *core.Registry
	hub *hub.Hub
}

// sseOptions are the options of every event stream: heartbeats, and the
// registry. Ticks sent as fast as possible are coalesced into fewer flushes.
func (a *app) sseOptions(coalesce bool) *sse.Options {
	o := &sse.Options{Heartbeat: a.cfg.Heartbeat, Registry: a.reg}
	if coalesce {
		o.Flush = core.Coalesce(16<<10, 10*time.Millisecond)
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

// conn binds the response to a core.Conn, or answers 500 when the writer
// cannot stream (under http.TimeoutHandler, for one).
func conn(w http.ResponseWriter, r *http.Request) (*core.HTTPConn, bool) {
	c, err := core.NewHTTPConn(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, false
	}
	return c, true
}

func (a *app) sseTicks(w http.ResponseWriter, r *http.Request) {
	t, err := demo.ParseTicks(demo.URLQuery(r.URL.Query()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	next, done, err := t.Resume(sse.LastEventIDFromRequest(r))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c, ok := conn(w, r)
	if !ok {
		return
	}
	if done {
		sse.NoContent(c) // the client has every tick: stop reconnecting
		return
	}
	s, err := sse.NewStream(c, a.sseOptions(t.Interval == 0))
	if err != nil {
		return // refused (503 sent), or the client left
	}
	defer s.Close()
	t.Run(s.Context(), next, func(n int) error {
		e := demo.TickEvent(n)
		return s.Send(&e)
	})
}

func (a *app) sseEcho(w http.ResponseWriter, r *http.Request) {
	event, err := demo.ParseEcho(demo.URLQuery(r.URL.Query()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c, ok := conn(w, r)
	if !ok {
		return
	}
	s, err := sse.NewStream(c, a.sseOptions(false))
	if err != nil {
		return
	}
	defer s.Close()
	s.WriteEncoded(event)
}

func (a *app) subscribe(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if err := demo.CheckTopic(topic); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Subscribe before the headers go out: a page publishes as soon as its
	// EventSource opens, and that event must not be missed.
	sub, err := a.hub.Subscribe(r.Context(), topic, sse.LastEventIDFromRequest(r))
	if err != nil {
		http.Error(w, "the topic cannot be served now", http.StatusServiceUnavailable)
		return
	}
	c, ok := conn(w, r)
	if !ok {
		sub.Close()
		return
	}
	s, err := sse.NewStream(c, a.sseOptions(false))
	if err != nil {
		sub.Close()
		return
	}
	// Replays what the client missed (or sends a resync), then live events,
	// until the client leaves or the server shuts down. It closes s and sub.
	a.hub.ServeSSE(s, sub)
}

func (a *app) publish(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if err := demo.CheckTopic(topic); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	event := r.URL.Query().Get("event")
	if err := demo.CheckEventType(event); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, demo.MaxPublish))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, fmt.Sprintf("the event's data is limited to %d bytes", demo.MaxPublish), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	id, err := a.hub.Publish(r.Context(), topic, hub.Message{Type: event, Data: string(data)})
	if err != nil {
		http.Error(w, err.Error(), demo.PublishStatus(err))
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
	c, ok := conn(w, r)
	if !ok {
		return
	}
	opts := &ndjson.Options{Registry: a.reg}
	if t.Interval == 0 {
		opts.Flush = core.Coalesce(16<<10, 10*time.Millisecond)
	}
	s, err := ndjson.NewStream(c, opts)
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
	c, ok := conn(w, r)
	if !ok {
		return
	}
	s, err := chunked.NewStream(c, &chunked.Options{Registry: a.reg})
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
	u, err := chunked.ReadRequest(r, &chunked.UploadOptions{MaxBytes: a.cfg.MaxUpload, Progress: progress.Update})
	var res demo.UploadResult
	if err == nil {
		res, err = demo.HashUpload(u)
	}
	if err != nil {
		progress.Fail(err)
		http.Error(w, err.Error(), chunked.StatusOf(err))
		return
	}
	progress.Done(res)
	writeJSON(w, res)
}

func (a *app) stats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, a.reg.Stats())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
