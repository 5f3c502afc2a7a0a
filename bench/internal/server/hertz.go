package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/config"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/cloudwego/hertz/pkg/network/standard"
	"github.com/cloudwego/hertz/pkg/protocol/http1/resp"
	hzsse "github.com/cloudwego/hertz/pkg/protocol/sse"

	"github.com/streamkit/streamkit/adapters/streamhertz"
	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/sse"
)

// serveHertz runs mode on a hertz server, on its default transport
// (netpoll) or, with standard, on the standard library's
// (standard.NewTransporter), with disconnect detection on, which both the
// own handler and the adapter need to notice a client that leaves an idle
// stream.
func serveHertz(ln net.Listener, mode string, ev *events, std bool) (*Server, error) {
	hlog.SetOutput(io.Discard) // it logs every client that leaves
	opts := []config.Option{
		server.WithListener(ln),
		server.WithSenseClientDisconnection(true),
		server.WithDisablePrintRoute(true),
		server.WithExitWaitTime(time.Second),
	}
	if std {
		opts = append(opts, server.WithTransport(standard.NewTransporter))
	}
	h := server.New(opts...)
	h.GET("/sse", hertzHandler(mode, ev))
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run() //nolint:errcheck // returns when shut down
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !h.IsRunning() {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("server: hertz did not start within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	return &Server{Addr: ln.Addr().String(), close: func(ctx context.Context) error {
		err := h.Shutdown(ctx)
		<-done
		return err
	}}, nil
}

func hertzHandler(mode string, ev *events) app.HandlerFunc {
	return func(c context.Context, ctx *app.RequestContext) {
		req, err := parse(func(k string) string { return ctx.Query(k) })
		if err != nil {
			ctx.String(http.StatusBadRequest, err.Error())
			return
		}
		switch mode {
		case Streamkit, Coalesce:
			s, err := streamhertz.SSE(c, ctx, &sse.Options{Flush: flushPolicy(mode)})
			if err != nil {
				return
			}
			defer s.Close()
			sendAll(s, ev, req)
			return
		case Own:
			w := hzsse.NewWriter(ctx)
			data := payload.JSONBytes
			for i := range req.n {
				if err := w.WriteEvent(ev.id(i), payload.Type, data); err != nil {
					return
				}
			}
			if req.idle {
				<-c.Done()
			}
			return
		}
		ctx.Response.Header.Set("Cache-Control", "no-cache")
		ctx.Response.Header.SetContentType("text/event-stream")
		w := resp.NewChunkedBodyWriter(&ctx.Response, ctx.GetWriter())
		ctx.Response.HijackWriter(w)
		switch mode {
		case Guarded:
			// c ends when the client leaves (WithSenseClientDisconnection).
			if GuardedLoop(c, ev.ids, req.n, w.Write, w.Flush, ctx.GetConn().SetWriteDeadline) != nil {
				return
			}
		case Loop, Validated, Busy, Spread:
			buf := make([]byte, 0, 512)
			for i := range req.n {
				buf = appendEvent(mode, buf[:0], ev.id(i))
				if _, err := w.Write(buf); err != nil {
					return
				}
				if err := w.Flush(); err != nil {
					return
				}
			}
		case Batch:
			err := ev.batches(req.n, func(p []byte) error {
				if _, err := w.Write(p); err != nil {
					return err
				}
				return w.Flush()
			})
			if err != nil {
				return
			}
		}
		if req.idle {
			<-c.Done()
		}
	}
}
