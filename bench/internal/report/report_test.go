package report

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/streamkit/streamkit/bench/internal/results"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseBench(t *testing.T) {
	in := "cpu: X\n" +
		"BenchmarkA/b/c-2   \t 100\t 12.5 ns/op\t 0 B/op\t 0 allocs/op\n" +
		"BenchmarkA/b/c-2   \t 100\t 10.5 ns/op\t 0 B/op\t 0 allocs/op\n" +
		"BenchmarkNoProcs \t 7\t 1 ns/op\n" +
		"BenchmarkBroken-2 \t many\t 1 ns/op\n" +
		"--- BENCH: something\n"
	b, err := ParseBench(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, unit string
		want       float64
		ok         bool
	}{
		{"A/b/c", "ns/op", 11.5, true},
		{"A/b/c", "allocs/op", 0, true},
		{"A/b/c", "MB/s", 0, false},
		{"NoProcs", "ns/op", 1, true},
		{"Broken", "ns/op", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.unit, func(t *testing.T) {
			got, ok := b.Metric(tt.name, tt.unit)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Metric = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if b.CPU != "X" {
		t.Errorf("CPU = %q, want X", b.CPU)
	}
}

func render(t *testing.T) string {
	t.Helper()
	f, err := os.Open("testdata/bench.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bn, err := ParseBench(f)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{
		Date: "2026-01-02 03:04 UTC", CPU: "Test CPU", Cores: 2, GoVersion: "go1.26.8", OS: "linux/amd64",
		Command:  "run-bench.sh",
		Versions: map[string]string{"github.com/cloudwego/hertz": "v0.10.4"},
		Bench:    bn,
		E2E:      readJSONL(t, "testdata/e2e.jsonl"),
		Idle:     readJSONL(t, "testdata/idle.jsonl"),
		Notes:    []string{"Redis backend: skipped."},
		Profiles: []Profile{{Title: "encode", Top: "flat flat%\n1s 50% f\n"}},
	}
	var out bytes.Buffer
	if err := Render(&out, in); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func readJSONL(t *testing.T, path string) []results.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := results.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestRender checks the figures and verdicts the canned results must give.
func TestRender(t *testing.T) {
	out := render(t)
	tests := []struct{ name, want string }{
		{"machine", "Machine: Test CPU, 2 cores, go1.26.8, linux/amd64. A `time.Now()` costs 92 ns here."},
		{"peer versions", "Peers: github.com/cloudwego/hertz v0.10.4."},
		// streamkit's median is 45 ns; the fastest like-for-like peer is
		// hertz at 200 ns (go-sse/prebuilt is a reference only).
		{"encode allocs", "| SSE encode, one line: 0 allocs/op | 0 allocs/op | met |"},
		{"encode vs peer", "| SSE encode, one line: ≥ 4× faster than the fastest peer | 4.44× (fastest peer: hertz, 200.0 ns/op) | met |"},
		{"encode vs floor", "| SSE encode, one line: within 2× of the hand-written floor | 1.50× the floor's time (45.0 vs 30.0 ns/op) | met |"},
		{"encode row", "| streamkit `sse.AppendEvent` | 4.44× | 45.0 | 0 | 0 |"},
		{"prebuilt reference row", "| tmaxmax/go-sse `WriteTo` of a message built once (reference, not per event) | 10.00× | 20.0 | 0 | 0 |"},
		{"multiline allocs missed", "| SSE encode, 10 lines: 0 allocs/op | 1 allocs/op | **missed** |"},
		{"multiline floor missed", "| SSE encode, 10 lines: within 2× of the hand-written floor | 3.00× the floor's time (150.0 vs 50.0 ns/op) | **missed** |"},
		{"ndjson", "| streamkit `ndjson.Encoder` | 0.80× | 250.0 | 0 | 0 |"},
		{"e2e vs loop", "| gin, flush per event: ≥ 0.95× the hand-written loop | 0.97× | met |"},
		{"e2e vs own", "| gin, flush per event: ≥ 1× the framework's own way | 1.30× | met |"},
		{"coalesce missed", "| gin, coalesced: ≥ 3× flush per event | 2.56× | **missed** |"},
		{"e2e row", "| gin | **streamkit adapter, flush per event** | 1.30× | 780,000 | 1.60 | 0.97× loop: met (CPU/event 1.07× loop's); 1.30× own: met (CPU/event 0.64× own's) |"},
		// gin/own has two rounds: 500,000 and 700,000 events/s.
		{"e2e median of rounds", "| gin | own: `c.SSEvent` path (`c.Render` of `sse.Event`) + `c.Writer.Flush()` | 1.00× | 600,000 | 2.50 | – |"},
		{"rounds", "2 rounds, each running every framework"},
		{"e2e error row", "| echo | **streamkit adapter, flush per event** | – | not measured: load: status 501 Not Implemented | – | – |"},
		{"idle missed", "| hertz (netpoll), idle memory per stream: ≤ 1.1× the framework's own handler | RSS 1.20× (heap + stacks 1.12×) | **missed** |"},
		{"idle row", "| hertz (netpoll) | streamkit adapter (`sse.NewStream`, heartbeat timer) | 1.20× | 12.0 KiB | 5.0 KiB | 4.0 KiB | 1.00 | **missed** |"},
		{"hub", "| in memory | 10,000 | 5.2 ms | 60.8 ms | 4 | 483 | 4,050,223 | – | **missed** |"},
		{"hub target", "| hub, in memory, 10,000 subscribers: p99 < 50 ms | 60.8 ms | **missed** |"},
		{"redis not measured", "| Redis (`hub/redishub`, local redis-server) | 10,000 | – | – | – | – | – | – | not measured |"},
		{"redis target", "| hub, Redis, 10,000 subscribers: p99 < 50 ms |  | not measured |"},
		{"nats", "| NATS JetStream (`hub/natshub`, local nats-server, file storage) | 10,000 | 6.6 ms | 11.0 ms | 59 | 4320 | 2,765 | 46,905 | met |"},
		{"nats target", "| hub, NATS JetStream, 10,000 subscribers: p99 < 50 ms | 11.0 ms | met |"},
		{"note", "- Redis backend: skipped."},
		{"profile", "### encode\n\n```\nflat flat%\n1s 50% f\n```"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(out, tt.want) {
				t.Errorf("the report lacks %q; got:\n%s", tt.want, out)
			}
		})
	}
}

func TestRenderEmpty(t *testing.T) {
	var out bytes.Buffer
	if err := Render(&out, Input{Command: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| hub, in memory, 10,000 subscribers: p99 < 50 ms |  | not measured |", "Not measured."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the empty report lacks %q; got:\n%s", want, out.String())
		}
	}
}

func TestFmtRatioNear(t *testing.T) {
	tests := []struct {
		x, limit float64
		want     string
	}{
		{0.9997, 1, "0.9997×"},
		{1.0003, 1, "1.0003×"},
		{1, 1, "1.00×"},
		{0.97, 0.95, "0.97×"},
		{0.9496, 0.95, "0.9496×"},
	}
	for _, tt := range tests {
		if got := fmtRatioNear(tt.x, tt.limit); got != tt.want {
			t.Errorf("fmtRatioNear(%v, %v) = %q, want %q", tt.x, tt.limit, got, tt.want)
		}
	}
}

func TestFmtInt(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567.6, "1,234,568"}, {-4500, "-4,500"},
	}
	for _, tt := range tests {
		if got := fmtInt(tt.in); got != tt.want {
			t.Errorf("fmtInt(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
