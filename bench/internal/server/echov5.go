package server

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/sse"
)

// echoV5Handler serves mode with echo v5, without middleware.
func echoV5Handler(mode string, ev *events) http.Handler {
	e := echo.New()
	e.GET("/sse", func(c *echo.Context) error {
		req, err := parse(c.QueryParam)
		if err != nil {
			return c.String(http.StatusBadRequest, err.Error())
		}
		switch mode {
		case Streamkit, Coalesce:
			s, err := streamechov5.SSE(c, &sse.Options{Flush: flushPolicy(mode)})
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
		rc := http.NewResponseController(w)
		ctx := c.Request().Context()
		switch mode {
		case Guarded:
			if GuardedLoop(ctx, ev.ids, req.n, w.Write, rc.Flush, rc.SetWriteDeadline) != nil {
				return nil
			}
		case Own:
			// echo v5's cookbook way: fmt.Fprintf, then
			// http.NewResponseController(c.Response()).Flush().
			for i := range req.n {
				if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", ev.id(i), payload.Type, payload.JSON); err != nil {
					return nil
				}
				if err := http.NewResponseController(w).Flush(); err != nil {
					return nil
				}
			}
		case Loop, Validated, Busy, Spread:
			buf := make([]byte, 0, 512)
			for i := range req.n {
				buf = appendEvent(mode, buf[:0], ev.id(i))
				if _, err := w.Write(buf); err != nil {
					return nil
				}
				if err := rc.Flush(); err != nil {
					return nil
				}
			}
		case Batch:
			err := ev.batches(req.n, func(p []byte) error {
				if _, err := w.Write(p); err != nil {
					return err
				}
				return rc.Flush()
			})
			if err != nil {
				return nil
			}
		}
		if req.idle {
			rc.Flush() //nolint:errcheck // the wait below sees the client leave
			<-ctx.Done()
		}
		return nil
	})
	return e
}
