package streamgin_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/adapters/streamgin"
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

// An observer learns gin's route pattern, never the path.
func TestObserverSeesRoute(t *testing.T) {
	obs := &routes{}
	reg := &core.Registry{Observer: obs}
	r := gin.New()
	r.Use(streamgin.Middleware(&streamgin.Config{Registry: reg}))
	r.GET("/topics/:topic", func(c *gin.Context) {
		s, err := streamgin.SSE(c, &sse.Options{Heartbeat: time.Hour})
		if err == nil {
			s.Close()
		}
	})
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/topics/chat", nil))
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.got) != 1 || obs.got[0] != "/topics/:topic" {
		t.Errorf("routes seen %q, want [/topics/:topic]", obs.got)
	}
}
