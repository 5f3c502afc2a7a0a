package streamhertz_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"

	"github.com/streamkit/streamkit/adapters/streamhertz"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// routes records the route of every stream opened.
type routes struct {
	mu  sync.Mutex
	got []string
}

func (r *routes) StreamOpened(info core.StreamInfo) core.StreamProbe {
	r.mu.Lock()
	r.got = append(r.got, info.Route)
	r.mu.Unlock()
	return nil
}

// An observer learns hertz's route pattern, never the path.
func TestObserverSeesRoute(t *testing.T) {
	obs := &routes{}
	reg := &core.Registry{Observer: obs}
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/topics/:topic", streamhertz.Middleware(&streamhertz.Config{Registry: reg}),
			func(c context.Context, ctx *app.RequestContext) {
				s, err := streamhertz.SSE(c, ctx, &sse.Options{Heartbeat: time.Hour})
				if err == nil {
					s.Close()
				}
			})
	})
	defer stop()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(base + "/topics/chat")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.got) != 1 || obs.got[0] != "/topics/:topic" {
		t.Errorf("routes seen %q, want [/topics/:topic]", obs.got)
	}
}
