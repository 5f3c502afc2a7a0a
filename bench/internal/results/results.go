// Package results defines the records the benchmark commands write, one
// JSON object per line, and cmd/report reads.
package results

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Kinds of [Record].
const (
	KindE2E  = "e2e"
	KindIdle = "idle"
)

// Record is one measurement of one framework and mode.
type Record struct {
	Kind      string `json:"kind"`
	Framework string `json:"framework"`
	Mode      string `json:"mode"`
	// Error is set when the measurement could not be made; the figures
	// are then zero.
	Error string `json:"error,omitempty"`

	// End to end: Conns streams of EventsPerConn events each.
	Conns         int     `json:"conns,omitempty"`
	EventsPerConn int     `json:"events_per_conn,omitempty"`
	Runs          int     `json:"runs,omitempty"`
	Events        int64   `json:"events,omitempty"`
	Bytes         int64   `json:"bytes,omitempty"`
	Seconds       float64 `json:"seconds,omitempty"`
	EventsPerSec  float64 `json:"events_per_sec,omitempty"`
	CPUSeconds    float64 `json:"cpu_seconds,omitempty"`
	// CPUPerMillion is the server's CPU seconds per million events, user
	// and system time together; UserPerMillion is the user time alone.
	CPUPerMillion  float64 `json:"cpu_s_per_million,omitempty"`
	UserPerMillion float64 `json:"user_s_per_million,omitempty"`
	// AllEventsPerSec holds every run's rate; the figures above are
	// those of the median run.
	AllEventsPerSec []float64 `json:"all_events_per_sec,omitempty"`

	// Idle: Streams open idle streams, measured against a baseline.
	Streams             int     `json:"streams,omitempty"`
	RSSPerStream        float64 `json:"rss_per_stream,omitempty"`
	HeapPerStream       float64 `json:"heap_per_stream,omitempty"`
	StackPerStream      float64 `json:"stack_per_stream,omitempty"`
	GoroutinesPerStream float64 `json:"goroutines_per_stream,omitempty"`
}

// Append writes r as one line to the file at path, creating it if needed.
func Append(path string, r Record) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		f.Close()
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Read returns the records of r, one JSON object per line; blank lines are
// skipped.
func Read(r io.Reader) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("results: line %d: %w", line, err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}
