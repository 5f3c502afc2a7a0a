// Package payload holds the event every benchmark of the bench module
// sends, so that encoders, servers and the load generator agree on it.
package payload

import (
	"strconv"
	"strings"
)

// ID, Type and JSON are the fields of the benchmark event: a short ID, an
// event type, and about 100 bytes of compact JSON on one line.
const (
	ID   = "12345"
	Type = "update"
	JSON = `{"id":12345,"user":"ada","action":"update","fields":{"status":"active","score":98.5},"ok":true}`
)

// MultiLine is the multi-line payload: ten lines of text separated by LF.
var MultiLine = strings.Repeat("a line of text in a multi-line event\n", 9) + "the last line"

// JSONBytes is JSON as a byte slice, for APIs that take one. Callers must
// not modify it.
var JSONBytes = []byte(JSON)

// IDs returns n decimal IDs "1" to "n", built once so that the end-to-end
// handlers do not measure integer formatting.
func IDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	return ids
}

// Record is the NDJSON benchmark value; it encodes to about 100 bytes.
type Record struct {
	ID     int     `json:"id"`
	User   string  `json:"user"`
	Action string  `json:"action"`
	Status string  `json:"status"`
	Score  float64 `json:"score"`
	OK     bool    `json:"ok"`
}

// SampleRecord is the value the NDJSON benchmarks encode.
var SampleRecord = Record{ID: 12345, User: "ada", Action: "update", Status: "active", Score: 98.5, OK: true}
