package bench_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cloudwego/hertz/pkg/app"
	hzsse "github.com/cloudwego/hertz/pkg/protocol/sse"
	ginsse "github.com/gin-contrib/sse"
	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"

	"github.com/streamkit/streamkit/bench/internal/payload"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// An encoder writes one event with the given id, type and data into a
// reusable sink and returns what it wrote since the last reset, so that
// the test can check every encoder sends the same event the benchmarks
// time. Each is built the way its library's users write an event.
type encoder struct {
	name string
	// new returns the function that encodes one event; the function
	// returns the bytes of that event (valid until the next call).
	new func(id, typ, data string) func() []byte
}

var encoders = []encoder{
	{"streamkit", func(id, typ, data string) func() []byte {
		buf := make([]byte, 0, 1024)
		// One Event, its fields set for each call, as the end-to-end
		// handlers and the hub do. A literal built in the loop instead
		// would time a copy the compiler adds for it (about 7 ns here,
		// a stall as it reads back what it just stored), which the
		// floor, taking its fields as arguments, never pays.
		var e sse.Event
		return func() []byte {
			e.ID, e.Type, e.Data = id, typ, data
			buf, _ = sse.AppendEvent(buf[:0], &e)
			return buf
		}
	}},
	{"handwritten", func(id, typ, data string) func() []byte {
		buf := make([]byte, 0, 1024)
		return func() []byte {
			buf = appendFloor(buf[:0], id, typ, data)
			return buf
		}
	}},
	{"gin-contrib/sse", func(id, typ, data string) func() []byte {
		var buf bytes.Buffer
		b := []byte(data)
		return func() []byte {
			buf.Reset()
			ginsse.Encode(&buf, ginsse.Event{Id: id, Event: typ, Data: b}) //nolint:errcheck // a bytes.Buffer
			return buf.Bytes()
		}
	}},
	{"hertz", func(id, typ, data string) func() []byte {
		w := &captureWriter{}
		c := app.NewContext(0)
		c.Response.HijackWriter(w)
		hw := hzsse.NewWriter(c)
		b := []byte(data)
		return func() []byte {
			w.b = w.b[:0]
			hw.WriteEvent(id, typ, b) //nolint:errcheck // captureWriter never fails
			return w.b
		}
	}},
	{"go-sse", func(id, typ, data string) func() []byte {
		var buf bytes.Buffer
		return func() []byte {
			buf.Reset()
			m := gosse.Message{ID: gosse.ID(id), Type: gosse.Type(typ)}
			m.AppendData(data)
			m.WriteTo(&buf) //nolint:errcheck // a bytes.Buffer
			return buf.Bytes()
		}
	}},
	{"go-sse/prebuilt", func(id, typ, data string) func() []byte {
		var buf bytes.Buffer
		m := gosse.Message{ID: gosse.ID(id), Type: gosse.Type(typ)}
		m.AppendData(data)
		return func() []byte {
			buf.Reset()
			m.WriteTo(&buf) //nolint:errcheck // a bytes.Buffer
			return buf.Bytes()
		}
	}},
	{"r3labs", func(id, typ, data string) func() []byte {
		var buf bytes.Buffer
		ev := &r3sse.Event{ID: []byte(id), Event: []byte(typ), Data: []byte(data)}
		split := strings.Contains(data, "\n")
		return func() []byte {
			buf.Reset()
			r3labsWrite(&buf, ev, split)
			return buf.Bytes()
		}
	}},
}

// appendFloor is the hand-written floor: the three lines appended with no
// validation and no line splitting beyond LF.
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

// r3labsWrite does what r3labs/sse v2.10.0 does for each event and each
// subscriber inside Server.ServeHTTP (http.go), which has no exported
// encoder: one fmt.Fprintf per field, with SplitData splitting on LF.
func r3labsWrite(w io.Writer, ev *r3sse.Event, split bool) {
	fmt.Fprintf(w, "id: %s\n", ev.ID)
	switch {
	case split:
		for _, line := range bytes.Split(ev.Data, []byte("\n")) {
			fmt.Fprintf(w, "data: %s\n", line)
		}
	case bytes.HasPrefix(ev.Data, []byte(":")):
		fmt.Fprintf(w, "%s\n", ev.Data)
	default:
		fmt.Fprintf(w, "data: %s\n", ev.Data)
	}
	if len(ev.Event) > 0 {
		fmt.Fprintf(w, "event: %s\n", ev.Event)
	}
	fmt.Fprint(w, "\n")
}

// captureWriter is the hijacked writer under hertz's sse.Writer: it keeps
// the last bytes written and flushes nowhere.
type captureWriter struct{ b []byte }

func (w *captureWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
func (w *captureWriter) Flush() error    { return nil }
func (w *captureWriter) Finalize() error { return nil }

// TestEncodersAgree checks that every encoder the benchmarks compare sends
// the same event, as a browser parses it.
func TestEncodersAgree(t *testing.T) {
	payloads := []struct{ name, data string }{
		{"json", payload.JSON},
		{"multiline", payload.MultiLine},
	}
	for _, p := range payloads {
		for _, enc := range encoders {
			t.Run(p.name+"/"+enc.name, func(t *testing.T) {
				got := enc.new(payload.ID, payload.Type, p.data)()
				r := sse.NewReader(bytes.NewReader(got), nil)
				ev, err := r.Next()
				if err != nil {
					t.Fatalf("parse %q: %v", got, err)
				}
				if ev.ID != payload.ID || ev.Type != payload.Type || ev.Data != p.data {
					t.Errorf("got id %q type %q data %q, want %q %q %q",
						ev.ID, ev.Type, ev.Data, payload.ID, payload.Type, p.data)
				}
				if _, err := r.Next(); err != io.EOF {
					t.Errorf("more than one event in %q (%v)", got, err)
				}
			})
		}
	}
}

func benchEncoders(b *testing.B, data string) {
	for _, enc := range encoders {
		b.Run(enc.name, func(b *testing.B) {
			fn := enc.new(payload.ID, payload.Type, data)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				fn()
			}
		})
	}
}

// BenchmarkSSEEncode encodes one event with an ID, a type and about 100
// bytes of JSON on one line.
func BenchmarkSSEEncode(b *testing.B) { benchEncoders(b, payload.JSON) }

// BenchmarkSSEEncodeMultiline encodes one event whose data has 10 lines.
func BenchmarkSSEEncodeMultiline(b *testing.B) { benchEncoders(b, payload.MultiLine) }

// BenchmarkNDJSONEncode writes one record of about 100 bytes: streamkit's
// Encoder and Stream against json.Encoder, each onto a bufio.Writer over
// io.Discard (the stream onto a connection that drops its bytes).
func BenchmarkNDJSONEncode(b *testing.B) {
	v := &payload.SampleRecord
	b.Run("json.Encoder", func(b *testing.B) {
		enc := json.NewEncoder(bufio.NewWriter(io.Discard))
		b.ReportAllocs()
		for b.Loop() {
			if err := enc.Encode(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("streamkit/Encoder", func(b *testing.B) {
		enc := ndjson.NewEncoder(bufio.NewWriter(io.Discard), nil)
		b.ReportAllocs()
		for b.Loop() {
			if err := enc.Encode(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("streamkit/Stream", func(b *testing.B) {
		s, err := ndjson.NewStream(streamtest.Discard{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Encode(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
