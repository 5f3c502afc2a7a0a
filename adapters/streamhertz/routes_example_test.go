package streamhertz_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/utils"

	"github.com/streamkit/streamkit/adapters/streamhertz"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

// The five jobs on one hertz server: the middleware on a route group, an
// SSE handler, an NDJSON handler, a streamed upload whose progress goes to
// a hub topic, and that topic served to browsers. Build the server with
// server.WithStreamBody(true), so that uploads stream instead of being read
// into memory first, and server.WithSenseClientDisconnection(true), so that
// a client that leaves is noticed at once.
func Example_routes() {
	reg := &core.Registry{Limit: 10_000}
	hb := hub.New(&hub.Options{Registry: reg})
	defer hb.Close()

	routes := func(h *server.Hertz) {
		api := h.Group("/api", streamhertz.Middleware(&streamhertz.Config{Registry: reg}))
		api.GET("/clock", func(c context.Context, ctx *app.RequestContext) {
			s, err := streamhertz.SSE(c, ctx, nil)
			if err != nil {
				return // already answered: 500, or 503 past the registry's limit
			}
			defer s.Close()
			for i := 1; i <= 3; i++ {
				if s.Send(&sse.Event{ID: fmt.Sprint(i), Type: "tick", Data: fmt.Sprint(i)}) != nil {
					return // the client left; s.Err() says why
				}
			}
		})
		api.GET("/rows", func(c context.Context, ctx *app.RequestContext) {
			s, err := streamhertz.NDJSON(c, ctx, nil)
			if err != nil {
				return
			}
			defer s.Close()
			for _, name := range []string{"ada", "grace"} {
				if s.Encode(map[string]string{"name": name}) != nil {
					return
				}
			}
		})
		api.POST("/upload", func(c context.Context, ctx *app.RequestContext) {
			body, err := streamhertz.Upload(ctx, &upload.Options{
				MaxBytes: 1 << 30,
				Progress: func(read, total int64) {
					hb.Publish(c, "progress", hub.Message{Data: fmt.Sprint(read)})
				},
			})
			if err != nil {
				return // already answered: 413 or 400
			}
			n, err := io.Copy(io.Discard, body) // a file, object storage, ...
			if err != nil {
				ctx.SetConnectionClose()
				ctx.String(upload.Status(err), err.Error())
				return
			}
			ctx.JSON(http.StatusOK, utils.H{"bytes": n})
		})
		api.GET("/topics/:topic", streamhertz.HubTopic(hb, "topic", nil))
	}

	// Drive it as a client would.
	base, stop := serve(routes)
	defer stop()
	fetch(base + "/api/clock")
	fetch(base + "/api/rows")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Post(base+"/api/upload", "application/octet-stream", strings.NewReader("hello"))
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(b))
	}
	fmt.Println(reg.Stats().Total, "streams")
	// Output:
	// 200 text/event-stream; charset=utf-8
	// id: 1
	// event: tick
	// data: 1
	//
	// id: 2
	// event: tick
	// data: 2
	//
	// id: 3
	// event: tick
	// data: 3
	//
	// 200 application/x-ndjson
	// {"name":"ada"}
	// {"name":"grace"}
	// {"bytes":5}
	// 2 streams
}
