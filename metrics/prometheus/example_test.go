package streamprom_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	streamprom "github.com/streamkit/streamkit/metrics/prometheus"
	"github.com/streamkit/streamkit/sse"
)

// A server whose streams and hub are exported on GET /metrics.
func Example() {
	m := streamprom.New(nil)
	promReg := prometheus.NewRegistry()
	promReg.MustRegister(m)
	reg := &core.Registry{Observer: m}
	h := hub.New(&hub.Options{Registry: reg}) // the hub uses the registry's observer
	defer h.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(promReg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := sse.NewStream(c, &sse.Options{Registry: reg})
		if err != nil {
			return
		}
		defer s.Close()
		s.Send(&sse.Event{Data: "one"})
		s.Send(&sse.Event{Data: "two"})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/events")
	if err != nil {
		fmt.Println(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	resp, err = srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		for _, want := range []string{
			"streamkit_streams_opened_total{",
			"streamkit_stream_sent_events_total{",
			`streamkit_streams_ended_total{kind="sse",reason="closed"}`,
			"streamkit_streams_active{",
		} {
			if strings.HasPrefix(line, want) {
				fmt.Println(line)
			}
		}
	}
	// Output:
	// streamkit_stream_sent_events_total{kind="sse"} 2
	// streamkit_streams_active{kind="sse"} 0
	// streamkit_streams_ended_total{kind="sse",reason="closed"} 1
	// streamkit_streams_opened_total{kind="sse"} 1
}

// Topic names come from clients; they become a label only through a
// mapping onto a fixed set.
func ExampleOptions_topic() {
	m := streamprom.New(&streamprom.Options{Topic: func(topic string) string {
		if strings.HasPrefix(topic, "chat.") {
			return "chat"
		}
		return "other"
	}})
	m.Published("chat.lobby")
	m.Published("chat.room-42")
	m.Published("upload-9f8e")

	promReg := prometheus.NewRegistry()
	promReg.MustRegister(m)
	fams, _ := promReg.Gather()
	for _, f := range fams {
		if f.GetName() == "streamkit_hub_published_events_total" {
			for _, s := range f.Metric {
				fmt.Println(s.Label[0].GetValue(), s.Counter.GetValue())
			}
		}
	}
	// Output:
	// chat 2
	// other 1
}
