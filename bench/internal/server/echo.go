package server

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/streamkit/streamkit/adapters/streamecho"
	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/sse"
)

// echoHandler serves mode with echo, without middleware.
func echoHandler(mode string, ev *events) http.Handler {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/sse", func(c echo.Context) error {
		req, err := parse(c.QueryParam)
		if err != nil {
			return c.String(http.StatusBadRequest, err.Error())
		}
		switch mode {
		case Streamkit, Coalesce:
			s, err := streamecho.SSE(c, &sse.Options{Flush: flushPolicy(mode)})
			if err != nil {
				return err // already answered
			}
			defer s.Close()
			sendAll(s, ev, req)
			return nil
		}
		w := c.Response()
		h := w.Header()
		h.Set(echo.HeaderContentType, "text/event-stream")
		h.Set(echo.HeaderCacheControl, "no-cache")
		w.WriteHeader(http.StatusOK)
		ctx := c.Request().Context()
		switch mode {
		case Guarded:
			// Written through echo's Response, which counts the bytes;
			// flushed beneath it, since its Flush drops the error.
			rc := http.NewResponseController(w.Writer)
			if GuardedLoop(ctx, ev.ids, req.n, w.Write, rc.Flush, rc.SetWriteDeadline) != nil {
				return nil
			}
		case Own:
			// The cookbook's way: fmt.Fprintf, then Response().Flush().
			for i := range req.n {
				if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", ev.id(i), payload.Type, payload.JSON); err != nil {
					return nil
				}
				w.Flush()
			}
		case Loop, Validated, Busy, Spread:
			buf := make([]byte, 0, 512)
			for i := range req.n {
				buf = appendEvent(mode, buf[:0], ev.id(i))
				if _, err := w.Write(buf); err != nil {
					return nil
				}
				w.Flush()
			}
		case Batch:
			err := ev.batches(req.n, func(p []byte) error {
				_, err := w.Write(p)
				w.Flush()
				return err
			})
			if err != nil {
				return nil
			}
		}
		if req.idle {
			w.Flush()
			<-ctx.Done()
		}
		return nil
	})
	return e
}
