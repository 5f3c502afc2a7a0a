package main

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/route"

	"github.com/streamkit/streamkit/adapters/streamhertz"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/examples/internal/demo"
)

// aiRoutes mounts the AI routes of the demo contract on g: hertz reads the
// body and hands the request's core.Conn to the shared handlers.
func aiRoutes(g *route.RouterGroup, ai *demo.AI) {
	g.POST("/v1/chat/completions", withBody(ai.Simulate))
	g.POST("/ai/v1/chat/completions", withBody(ai.RelayChat))
	g.POST("/api/chat", withBody(ai.Chat))
	g.GET("/api/chat/:id/stream", func(c context.Context, ctx *app.RequestContext) {
		if conn, ok := aiConn(c, ctx); ok {
			ai.ResumeChat(conn, ctx.Param("id"), string(ctx.GetHeader("Last-Event-ID")))
		}
	})
	g.DELETE("/api/chat/:id/stream", func(c context.Context, ctx *app.RequestContext) {
		ctx.Status(ai.StopChat(ctx.Param("id")))
	})
}

func withBody(h func(core.Conn, []byte)) app.HandlerFunc {
	return func(c context.Context, ctx *app.RequestContext) {
		body, err := demo.ReadBody(ctx.RequestBodyStream())
		if err != nil {
			ctx.String(http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		if conn, ok := aiConn(c, ctx); ok {
			h(conn, body)
		}
	}
}

func aiConn(c context.Context, ctx *app.RequestContext) (core.Conn, bool) {
	conn, err := streamhertz.NewConn(c, ctx)
	if err != nil {
		ctx.String(http.StatusInternalServerError, err.Error())
		return nil, false
	}
	return conn, true
}
