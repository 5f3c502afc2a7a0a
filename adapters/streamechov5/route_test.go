package streamechov5_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapters/streamechov5"
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

// An observer learns echo's route pattern, never the path.
func TestObserverSeesRoute(t *testing.T) {
	obs := &routes{}
	reg := &core.Registry{Observer: obs}
	r := echo.New()
	r.Use(streamechov5.Middleware(&streamechov5.Config{Registry: reg}))
	r.GET("/topics/:topic", func(c *echo.Context) error {
		s, err := streamechov5.SSE(c, &sse.Options{Heartbeat: time.Hour})
		if err != nil {
			return err
		}
		return s.Close()
	})
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/topics/chat", nil))
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.got) != 1 || obs.got[0] != "/topics/:topic" {
		t.Errorf("routes seen %q, want [/topics/:topic]", obs.got)
	}
}
