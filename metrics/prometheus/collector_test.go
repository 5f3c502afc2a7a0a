package streamprom_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/internal/obstest"
	streamprom "github.com/streamkit/streamkit/metrics/prometheus"
	"github.com/streamkit/streamkit/sse"
)

// serveMetrics mounts GET /metrics for a registry holding c alone.
func serveMetrics(c *streamprom.Collector) func(*http.ServeMux) {
	preg := prometheus.NewRegistry()
	preg.MustRegister(c)
	return func(mux *http.ServeMux) {
		mux.Handle("GET /metrics", promhttp.HandlerFor(preg, promhttp.HandlerOpts{}))
	}
}

// A scripted session against a real server; the scrape shows exactly what
// it did, and promtool accepts it.
func TestScriptedSession(t *testing.T) {
	m := streamprom.New(nil)
	reg := &core.Registry{Observer: m}
	sess, e := obstest.Run(t, reg, serveMetrics(m))
	body, fams := scrape(t, sess.Client, sess.URL+"/metrics")

	for _, kind := range []string{"sse", "ndjson", "chunked"} {
		k := map[string]string{"kind": kind}
		expectValue(t, fams, "streamkit_streams_opened_total", k, float64(e.Opened[kind]))
		expectValue(t, fams, "streamkit_streams_active", k, 0)
		expectValue(t, fams, "streamkit_stream_sent_events_total", k, float64(e.Events[kind]))
		expectValue(t, fams, "streamkit_stream_sent_bytes_total", k, float64(e.Bytes[kind]))
		expectValue(t, fams, "streamkit_stream_duration_seconds", k, float64(e.Opened[kind]))
		expectValue(t, fams, "streamkit_stream_time_to_first_event_seconds", k, float64(e.FirstEvents[kind]))
		for _, r := range []core.EndReason{core.EndClosed, core.EndClientGone, core.EndWriteTimeout,
			core.EndSlowClient, core.EndShutdown, core.EndLifetime, core.EndError} {
			expectValue(t, fams, "streamkit_streams_ended_total",
				map[string]string{"kind": kind, "reason": string(r)}, float64(e.Ended[kind][r]))
		}
	}
	none := map[string]string{}
	expectValue(t, fams, "streamkit_hub_published_events_total", none, float64(e.Published))
	expectValue(t, fams, "streamkit_hub_subscribers", none, 0)
	expectValue(t, fams, "streamkit_hub_dropped_events_total", none, float64(e.Dropped))
	expectValue(t, fams, "streamkit_hub_slow_disconnects_total", none, float64(e.SlowDisconnects))
	expectValue(t, fams, "streamkit_hub_backend_gaps_total", none, 0)
	expectValue(t, fams, "streamkit_hub_backend_disconnects_total", none, 0)
	expectValue(t, fams, "streamkit_hub_backend_reconnects_total", none, 0)
	for _, r := range []hub.Reason{hub.ReasonSlow, hub.ReasonDropped, hub.ReasonEvicted, hub.ReasonMalformed} {
		expectValue(t, fams, "streamkit_hub_resyncs_total", map[string]string{"reason": string(r)}, float64(e.Resyncs[r]))
	}
	// The registry's own counters agree.
	if e.Stats.SlowDisconnects != e.SlowDisconnects+e.Ended["chunked"][core.EndWriteTimeout] {
		t.Errorf("registry slow disconnects %d, want the hub's %d plus the write timeout", e.Stats.SlowDisconnects, e.SlowDisconnects)
	}
	if kinds := labelValues(fams, "streamkit_streams_opened_total", "kind"); strings.Join(kinds, ",") != "chunked,ndjson,sse" {
		t.Errorf("kinds %v, want exactly the three of the session", kinds)
	}
	promtoolCheck(t, body)
}

// Topics become labels only through the mapping, and routes only when
// asked for.
func TestLabels(t *testing.T) {
	tests := []struct {
		name       string
		opts       *streamprom.Options
		wantTopics string // label values of hub_published_events_total's topic
		wantRoutes string
	}{
		{"default", nil, "", ""},
		{"topic mapping", &streamprom.Options{Topic: func(topic string) string {
			if strings.HasPrefix(topic, "room-") {
				return "room"
			}
			return "other"
		}}, "other,room", ""},
		{"routes", &streamprom.Options{Routes: true}, "", "GET /events/{topic}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := streamprom.New(tt.opts)
			reg := &core.Registry{Observer: m}
			h := hub.New(&hub.Options{Registry: reg})
			defer h.Close()
			mux := http.NewServeMux()
			serveMetrics(m)(mux)
			mux.HandleFunc("GET /events/{topic}", func(w http.ResponseWriter, r *http.Request) {
				c, _ := core.NewHTTPConn(w, r)
				s, err := sse.NewStream(c, &sse.Options{Registry: reg})
				if err != nil {
					return
				}
				defer s.Close()
				s.Send(&sse.Event{Data: r.PathValue("topic")})
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			for i := range 20 {
				topic := fmt.Sprintf("room-%d", i)
				if i%2 == 1 {
					topic = fmt.Sprintf("client-%d", i)
				}
				if _, err := h.Publish(context.Background(), topic, hub.Message{Data: "x"}); err != nil {
					t.Fatal(err)
				}
				resp, err := srv.Client().Get(srv.URL + "/events/" + topic)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			body, fams := scrape(t, srv.Client(), srv.URL+"/metrics")
			if got := strings.Join(labelValues(fams, "streamkit_hub_published_events_total", "topic"), ","); got != tt.wantTopics {
				t.Errorf("topic labels %q, want %q", got, tt.wantTopics)
			}
			if got := strings.Join(labelValues(fams, "streamkit_streams_opened_total", "route"), ","); got != tt.wantRoutes {
				t.Errorf("route labels %q, want %q", got, tt.wantRoutes)
			}
			if strings.Contains(string(body), "client-") {
				t.Error("a topic name reached the scrape")
			}
			promtoolCheck(t, body)
		})
	}
}

// A backend's connection losses and recoveries are counted.
func TestBackendObserver(t *testing.T) {
	m := streamprom.New(&streamprom.Options{Namespace: "app"})
	m.BackendDisconnected(fmt.Errorf("connection reset"))
	m.BackendDisconnected(fmt.Errorf("connection refused"))
	m.BackendReconnected()
	m.BackendGap("t")
	srv := httptest.NewServer(func() http.Handler { mux := http.NewServeMux(); serveMetrics(m)(mux); return mux }())
	defer srv.Close()
	body, fams := scrape(t, srv.Client(), srv.URL+"/metrics")
	none := map[string]string{}
	expectValue(t, fams, "app_hub_backend_disconnects_total", none, 2)
	expectValue(t, fams, "app_hub_backend_reconnects_total", none, 1)
	expectValue(t, fams, "app_hub_backend_gaps_total", none, 1)
	promtoolCheck(t, body)
}
