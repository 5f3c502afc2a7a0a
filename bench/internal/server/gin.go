package server

import (
	"net/http"

	ginsse "github.com/gin-contrib/sse"
	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapters/streamgin"
	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/sse"
)

// ginHandler serves mode with gin, without middleware.
func ginHandler(mode string, ev *events) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/sse", func(c *gin.Context) {
		req, err := parse(c.Query)
		if err != nil {
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		switch mode {
		case Streamkit, Coalesce:
			s, err := streamgin.SSE(c, &sse.Options{Flush: flushPolicy(mode)})
			if err != nil {
				return
			}
			defer s.Close()
			sendAll(s, ev, req)
			return
		}
		c.Header("Content-Type", ginsse.ContentType)
		c.Header("Cache-Control", "no-cache")
		c.Status(http.StatusOK)
		c.Writer.WriteHeaderNow()
		ctx := c.Request.Context()
		switch mode {
		case Guarded:
			rc := http.NewResponseController(c.Writer)
			if GuardedLoop(ctx, ev.ids, req.n, c.Writer.Write, rc.Flush, rc.SetWriteDeadline) != nil {
				return
			}
		case Own:
			// What c.SSEvent(name, data) does, with the ID it cannot take.
			data := payload.JSONBytes
			for i := range req.n {
				c.Render(-1, ginsse.Event{Id: ev.id(i), Event: payload.Type, Data: data})
				c.Writer.Flush()
				if ctx.Err() != nil {
					return
				}
			}
		case Loop, Validated, Busy, Spread:
			buf := make([]byte, 0, 512)
			for i := range req.n {
				buf = appendEvent(mode, buf[:0], ev.id(i))
				if _, err := c.Writer.Write(buf); err != nil {
					return
				}
				c.Writer.Flush()
			}
		case Batch:
			err := ev.batches(req.n, func(p []byte) error {
				_, err := c.Writer.Write(p)
				c.Writer.Flush()
				return err
			})
			if err != nil {
				return
			}
		}
		if req.idle {
			c.Writer.Flush()
			<-ctx.Done()
		}
	})
	return r
}
