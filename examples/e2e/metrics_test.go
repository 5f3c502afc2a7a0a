package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/streamkit/streamkit/examples/internal/demo"
	"github.com/streamkit/streamkit/sse"
)

// Shape of the scripted session of TestMetrics.
const (
	metricsTicks   = 2   // /sse/ticks streams read to their end
	metricsTickN   = 5   // events each
	metricsRecords = 3   // records of the one /ndjson/ticks stream
	slowPublishes  = 500 // events of 64 KiB published past a subscriber that does not read
)

// TestMetrics plays a scripted session on a fresh server of every
// framework (finished streams, a client that leaves, a subscriber too slow
// to keep up), then checks that GET /metrics shows exactly what the session
// did, and that promtool accepts it.
func TestMetrics(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, tg)
			checkMetricsSession(t, s)
		})
	}
}

func checkMetricsSession(t *testing.T, s *server) {
	var sseEvents, sseBytes int64

	// Finite streams, read to their end.
	for range metricsTicks {
		resp := s.get(t, fmt.Sprintf("/sse/ticks?count=%d&interval=0", metricsTickN))
		wantSSE(t, resp)
		body := text(t, resp)
		events, err := readAllEvents(body)
		if err != nil || len(events) != metricsTickN {
			t.Fatalf("/sse/ticks: %d events, %v", len(events), err)
		}
		sseEvents += metricsTickN
		sseBytes += int64(len(body))
	}
	resp := s.get(t, fmt.Sprintf("/ndjson/ticks?count=%d&interval=0", metricsRecords))
	ndjson := text(t, resp)
	if n := strings.Count(ndjson, "\n"); resp.StatusCode != http.StatusOK || n != metricsRecords {
		t.Fatalf("/ndjson/ticks = %d with %d records", resp.StatusCode, n)
	}

	// A client that leaves after the first tick; the next would come a
	// minute later.
	gone := s.subscribePath(t, "/sse/ticks?count=10&interval=1m")
	if e := gone.next(t); e.Data != `{"n":1}` {
		t.Fatalf("first tick %+v", e)
	}
	gone.close()
	sseEvents++

	// A subscriber that stops reading while its topic gets more than the
	// socket buffers and its queue (256 events) hold: the hub drops its
	// oldest events (the demo's policy), and when it reads again it gets a
	// resync and the newest events. Whatever it did not read was dropped.
	topic := randomTopic(t)
	slow := s.subscribe(t, topic, "")
	data := strings.Repeat("x", demo.MaxPublish)
	var last string
	for range slowPublishes {
		last = s.publish(t, topic, "", data)
	}
	var delivered, resyncs int64
	for {
		e := slow.next(t)
		sseEvents++
		if e.Type == "resync" {
			resyncs++
			if !strings.Contains(e.Data, `"reason":"dropped"`) {
				t.Fatalf("resync %q, want reason dropped", e.Data)
			}
			continue
		}
		delivered++
		if e.ID == last {
			break
		}
	}
	slow.close()
	t.Logf("slow subscriber: %d events delivered, %d dropped, %d resyncs", delivered, slowPublishes-delivered, resyncs)

	s.waitIdle(t)
	resp = s.get(t, "/metrics")
	body := text(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	sse := map[string]string{"kind": "sse"}
	nd := map[string]string{"kind": "ndjson"}
	none := map[string]string{}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"streamkit_streams_opened_total", sse, metricsTicks + 2},
		{"streamkit_streams_opened_total", nd, 1},
		{"streamkit_streams_active", sse, 0},
		{"streamkit_streams_ended_total", map[string]string{"kind": "sse", "reason": "closed"}, metricsTicks},
		{"streamkit_streams_ended_total", map[string]string{"kind": "sse", "reason": "client_gone"}, 2},
		{"streamkit_streams_ended_total", map[string]string{"kind": "sse", "reason": "error"}, 0},
		{"streamkit_streams_ended_total", map[string]string{"kind": "ndjson", "reason": "closed"}, 1},
		{"streamkit_stream_sent_events_total", sse, float64(sseEvents)},
		{"streamkit_stream_sent_events_total", nd, metricsRecords},
		{"streamkit_stream_sent_bytes_total", nd, float64(len(ndjson))},
		{"streamkit_stream_duration_seconds", sse, metricsTicks + 2},
		{"streamkit_stream_time_to_first_event_seconds", sse, metricsTicks + 2},
		{"streamkit_hub_published_events_total", none, slowPublishes},
		{"streamkit_hub_subscribers", none, 0},
		{"streamkit_hub_dropped_events_total", none, float64(slowPublishes - delivered)},
		{"streamkit_hub_resyncs_total", map[string]string{"reason": "dropped"}, float64(resyncs)},
		{"streamkit_hub_slow_disconnects_total", none, 0},
	} {
		got, ok := metricValue(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// Heartbeats are bytes too: at least what the finished streams sent.
	if got, _ := metricValue(fams, "streamkit_stream_sent_bytes_total", sse); got < float64(sseBytes) {
		t.Errorf("sse bytes %v, want at least the %d the finished streams sent", got, sseBytes)
	}
	promtoolCheck(t, []byte(body))
}

// subscribePath opens an event stream at path, like subscribe.
func (s *server) subscribePath(t *testing.T, path string) *subscriber {
	t.Helper()
	resp := s.get(t, path)
	wantSSE(t, resp)
	sub := &subscriber{resp: resp, r: sse.NewReader(resp.Body, nil), cancel: func() { resp.Body.Close() }}
	t.Cleanup(sub.close)
	return sub
}

func readAllEvents(body string) ([]sse.ParsedEvent, error) {
	r := sse.NewReader(strings.NewReader(body), nil)
	var out []sse.ParsedEvent
	for {
		e, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, e)
	}
}

// metricValue returns the value of the series of family name with exactly
// labels (a histogram's sample count).
func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels) {
			continue
		}
		for _, l := range m.Label {
			if labels[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// promtoolCheck runs `promtool check metrics` on a scrape. Without
// promtool the check is skipped, except under CI=true, where it fails:
// .ci/apt-packages installs Debian's prometheus package, which has it.
func promtoolCheck(t *testing.T, body []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool is not installed (apt-get install prometheus): %v", err)
		}
		t.Skipf("promtool not installed (apt-get install prometheus): %v", err)
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestOTelStdout starts each server with -otel-stdout, streams once, and
// checks that the stream's span and the metrics are printed by the time
// the server has shut down.
func TestOTelStdout(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			tg.args = append(append([]string(nil), tg.args...), "-otel-stdout")
			s := startServer(t, tg)
			resp := s.get(t, "/sse/ticks?count=2&interval=0")
			wantSSE(t, resp)
			text(t, resp)
			s.waitIdle(t)
			if _, err := s.stop(t, 15*time.Second); err != nil {
				t.Fatalf("exit: %v", err)
			}
			out := s.out.String()
			for _, want := range []string{
				`"Name":"stream sse"`,
				`"Key":"streamkit.stream.end_reason","Value":{"Type":"STRING","Value":"closed"}`,
				`"Key":"streamkit.stream.events","Value":{"Type":"INT64","Value":2}`,
				`"Name":"first event"`,
				`"Name":"streamkit.streams.opened"`,
				`"Name":"streamkit.stream.duration"`,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("the output has no %s", want)
				}
			}
		})
	}
}
