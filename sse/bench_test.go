package sse_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/sse"
)

// jsonLine is about 100 bytes of compact JSON, a typical event payload.
const jsonLine = `{"id":12345,"user":"ada","action":"update","fields":{"status":"active","score":98.5},"ok":true}`

var multiLine = strings.Repeat("a line of text in a multi-line event\n", 9) + "the last line"

func BenchmarkAppendEvent(b *testing.B) {
	e := sse.Event{ID: "12345", Type: "update", Data: jsonLine}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(jsonLine)))
	for b.Loop() {
		buf, _ = sse.AppendEvent(buf[:0], &e)
	}
}

// BenchmarkAppendEventFloor is the hand-written floor the encoder is held
// to (within 2x, see BENCHMARKS.md "SSE encoding"): the same event's lines
// appended with no validation and no line splitting beyond LF.
func BenchmarkAppendEventFloor(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(jsonLine)))
	for b.Loop() {
		buf = appendFloor(buf[:0], "12345", "update", jsonLine)
	}
}

// appendFloor appends an event the way a hand-written loop does.
func appendFloor(dst []byte, id, typ, data string) []byte {
	dst = append(dst, "id: "...)
	dst = append(dst, id...)
	dst = append(dst, "\nevent: "...)
	dst = append(dst, typ...)
	dst = append(dst, '\n')
	for {
		i := strings.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		dst = append(dst, "data: "...)
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		data = data[i+1:]
	}
	dst = append(dst, "data: "...)
	dst = append(dst, data...)
	return append(dst, "\n\n"...)
}

func BenchmarkAppendEventMultiline(b *testing.B) {
	e := sse.Event{ID: "12345", Type: "update", Data: multiLine}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(multiLine)))
	for b.Loop() {
		buf, _ = sse.AppendEvent(buf[:0], &e)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	v := struct {
		ID     int    `json:"id"`
		User   string `json:"user"`
		Action string `json:"action"`
	}{12345, "ada", "update"}
	e := sse.Event{ID: "12345", Type: "update"}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = sse.AppendJSON(buf[:0], &e, v, nil)
	}
}

func newDiscardStream(tb testing.TB) *sse.Stream {
	s, err := sse.NewStream(streamtest.Discard{}, &sse.Options{Heartbeat: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func BenchmarkStreamSend(b *testing.B) {
	s := newDiscardStream(b)
	defer s.Close()
	e := sse.Event{ID: "12345", Type: "update", Data: jsonLine}
	b.ReportAllocs()
	b.SetBytes(int64(len(jsonLine)))
	for b.Loop() {
		if err := s.Send(&e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamSendDataOnly(b *testing.B) {
	s := newDiscardStream(b)
	defer s.Close()
	e := sse.Event{Data: jsonLine}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Send(&e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamWriteEncoded writes pre-encoded bytes through the escape
// hatch, Core().Write, as the hub does.
func BenchmarkStreamWriteEncoded(b *testing.B) {
	s := newDiscardStream(b)
	defer s.Close()
	p, _ := sse.AppendEvent(nil, &sse.Event{ID: "12345", Type: "update", Data: jsonLine})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Core().Write(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReader parses a stream of 1000 events per operation.
func BenchmarkReader(b *testing.B) {
	var wire []byte
	for range 1000 {
		wire, _ = sse.AppendEvent(wire, &sse.Event{ID: "12345", Type: "update", Data: jsonLine})
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	r := bytes.NewReader(nil)
	for b.Loop() {
		r.Reset(wire)
		rd := sse.NewReader(r, nil)
		for {
			if _, err := rd.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

// TestSendAllocs guards the benchmarks' promise in ordinary test runs.
func TestSendAllocs(t *testing.T) {
	s := newDiscardStream(t)
	defer s.Close()
	e := sse.Event{ID: "12345", Type: "update", Data: multiLine}
	tests := []struct {
		name string
		fn   func()
	}{
		{"Send", func() { s.Send(&e) }},        //nolint:errcheck
		{"Comment", func() { s.Comment("c") }}, //nolint:errcheck
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if allocs := testing.AllocsPerRun(100, tt.fn); allocs != 0 {
				t.Errorf("%s allocates %v times per call, want 0", tt.name, allocs)
			}
		})
	}
}
