package sse_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/sse"
)

// parse reads every event of wire, and returns them with the Reader (for
// its final state) and the error that ended the stream, nil for io.EOF.
func parse(t testing.TB, wire []byte, opts *sse.ReaderOptions) ([]sse.ParsedEvent, *sse.Reader, error) {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(wire), opts)
	var evs []sse.ParsedEvent
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return evs, rd, nil
		}
		if err != nil {
			return evs, rd, err
		}
		evs = append(evs, ev)
	}
}

// lf turns CR and CRLF line breaks into LF, as a client sees data.
var lf = strings.NewReplacer("\r\n", "\n", "\r", "\n")

func TestAppendEvent(t *testing.T) {
	tests := []struct {
		name string
		e    sse.Event
		want string
	}{
		{"zero event dispatches empty data", sse.Event{}, "data: \n\n"},
		{"data", sse.Event{Data: "hello"}, "data: hello\n\n"},
		{"all fields", sse.Event{ID: "42", Type: "tick", Data: `{"n":1}`, Retry: 1500 * time.Millisecond, Comment: "c"},
			": c\nid: 42\nevent: tick\nretry: 1500\ndata: {\"n\":1}\n\n"},
		{"LF", sse.Event{Data: "a\nb"}, "data: a\ndata: b\n\n"},
		{"CR", sse.Event{Data: "a\rb"}, "data: a\ndata: b\n\n"},
		{"CRLF is one break", sse.Event{Data: "a\r\nb"}, "data: a\ndata: b\n\n"},
		{"LF CR is two breaks", sse.Event{Data: "a\n\rb"}, "data: a\ndata: \ndata: b\n\n"},
		{"mixed breaks", sse.Event{Data: "a\nb\r\nc\rd"}, "data: a\ndata: b\ndata: c\ndata: d\n\n"},
		{"trailing break", sse.Event{Data: "a\n"}, "data: a\ndata: \n\n"},
		{"only CRLF", sse.Event{Data: "\r\n"}, "data: \ndata: \n\n"},
		{"CR CR", sse.Event{Data: "\r\r"}, "data: \ndata: \ndata: \n\n"},
		{"leading spaces kept", sse.Event{Data: "  x"}, "data:   x\n\n"},
		{"colons", sse.Event{Data: "a: b:c"}, "data: a: b:c\n\n"},
		{"data like a field", sse.Event{Data: "id: 1\nevent: x"}, "data: id: 1\ndata: event: x\n\n"},
		{"NUL in data", sse.Event{Data: "a\x00b"}, "data: a\x00b\n\n"},
		{"unicode", sse.Event{ID: "é-1", Type: "世界", Data: "héllo 🎉"}, "id: é-1\nevent: 世界\ndata: héllo 🎉\n\n"},
		{"comment only", sse.Event{Comment: "hi"}, ": hi\n\n"},
		{"comment lines", sse.Event{Comment: "a\r\nb\rc\n"}, ": a\n: b\n: c\n: \n\n"},
		{"comment before data", sse.Event{Comment: "note", Data: "x"}, ": note\ndata: x\n\n"},
		{"retry only", sse.Event{Retry: 2 * time.Second}, "retry: 2000\n\n"},
		{"retry and comment", sse.Event{Retry: time.Second, Comment: "bye"}, ": bye\nretry: 1000\n\n"},
		{"retry with data", sse.Event{Retry: time.Second, Data: "x"}, "retry: 1000\ndata: x\n\n"},
		{"retry sub-millisecond rounds up", sse.Event{Retry: 1, Data: "x"}, "retry: 1\ndata: x\n\n"},
		{"retry rounds up", sse.Event{Retry: 1500 * time.Microsecond, Data: "x"}, "retry: 2\ndata: x\n\n"},
		{"retry whole", sse.Event{Retry: 3 * time.Millisecond, Data: "x"}, "retry: 3\ndata: x\n\n"},
		{"retry max", sse.Event{Retry: math.MaxInt64, Data: "x"}, "retry: 9223372036855\ndata: x\n\n"},
		{"reconnect now", sse.Event{Retry: sse.ReconnectNow, Data: "x"}, "retry: 0\ndata: x\n\n"},
		{"any negative retry is retry 0", sse.Event{Retry: -time.Second, Data: "x"}, "retry: 0\ndata: x\n\n"},
		{"reconnect now alone is a control block", sse.Event{Retry: sse.ReconnectNow}, "retry: 0\n\n"},
		{"reset id only", sse.Event{ResetID: true}, "id: \n\n"},
		{"reset id with data", sse.Event{ResetID: true, Data: "x"}, "id: \ndata: x\n\n"},
		{"reset id ignored with id", sse.Event{ResetID: true, ID: "7"}, "id: 7\ndata: \n\n"},
		{"id only dispatches", sse.Event{ID: "7"}, "id: 7\ndata: \n\n"},
		{"type only dispatches", sse.Event{Type: "ping"}, "event: ping\ndata: \n\n"},
		{"id of max length", sse.Event{ID: strings.Repeat("x", sse.MaxLastEventIDLength)},
			"id: " + strings.Repeat("x", sse.MaxLastEventIDLength) + "\ndata: \n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sse.AppendEvent([]byte("prefix|"), &tt.e)
			if err != nil {
				t.Fatalf("AppendEvent: %v", err)
			}
			if want := "prefix|" + tt.want; string(got) != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestAppendEventInvalid(t *testing.T) {
	tests := []struct {
		name    string
		e       *sse.Event
		wantMsg string
	}{
		{"LF in id", &sse.Event{ID: "1\n2"}, "sse: event id contains a line break: invalid field"},
		{"CR in id", &sse.Event{ID: "1\r"}, "sse: event id contains a line break: invalid field"},
		{"CRLF in id", &sse.Event{ID: "\r\n"}, "sse: event id contains a line break: invalid field"},
		{"NUL in id", &sse.Event{ID: "a\x00"}, "sse: event id contains a NUL character: invalid field"},
		{"invalid UTF-8 in id", &sse.Event{ID: "a\xff"}, "sse: event id is not valid UTF-8: invalid field"},
		{"id too long", &sse.Event{ID: strings.Repeat("x", sse.MaxLastEventIDLength+1)}, "sse: event id is longer than 1024 bytes: invalid field"},
		{"LF in type", &sse.Event{Type: "a\nb"}, "sse: event type contains a line break: invalid field"},
		{"CR in type", &sse.Event{Type: "a\rb"}, "sse: event type contains a line break: invalid field"},
		{"NUL in type", &sse.Event{Type: "\x00"}, "sse: event type contains a NUL character: invalid field"},
		{"invalid UTF-8 in type", &sse.Event{Type: "\xc0\xaf"}, "sse: event type is not valid UTF-8: invalid field"},
		{"valid id, bad type", &sse.Event{ID: "1", Type: "x\n", Data: "d"}, "sse: event type contains a line break: invalid field"},
		{"nil event", nil, "sse: nil event: invalid field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]byte, 5, 64)
			copy(dst, "keep|")
			got, err := sse.AppendEvent(dst, tt.e)
			if !errors.Is(err, sse.ErrInvalidField) {
				t.Fatalf("err = %v, want one matching ErrInvalidField", err)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message %q, want %q", err, tt.wantMsg)
			}
			if string(got) != "keep|" || len(got) != 5 || &got[0] != &dst[0] {
				t.Errorf("dst changed to %q, want it unchanged", got)
			}
			if string(dst[:cap(dst)][5:10]) != "\x00\x00\x00\x00\x00" {
				t.Errorf("bytes past dst were written: %q", dst[:cap(dst)][5:10])
			}
		})
	}
}

func TestAppendEventRoundTrip(t *testing.T) {
	big := make([]byte, 0, 1<<20)
	for i := 0; len(big) < 1<<20; i++ {
		big = append(big, "line with: colons and  spaces é"...)
		big = append(big, [...]string{"\n", "\r", "\r\n"}[i%3]...)
	}
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"LF", "a\nb\n"},
		{"CR", "a\rb\r"},
		{"CRLF", "a\r\nb\r\n"},
		{"blank lines", "\n\n\r\r\n\r\n"},
		{"leading spaces", " a\n  b\n\t c"},
		{"colons", ":a\n::b\ndata: c"},
		{"unicode", "héllo\n世界\r🎉\uFEFF"},
		{"NUL", "\x00\n\x00"},
		{"1 MB", string(big)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sse.Event{ID: "id-1", Type: "kind", Data: tt.data}
			wire, err := sse.AppendEvent(nil, &e)
			if err != nil {
				t.Fatalf("AppendEvent: %v", err)
			}
			evs, _, err := parse(t, wire, nil)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(evs) != 1 {
				t.Fatalf("got %d events, want 1", len(evs))
			}
			want := sse.ParsedEvent{ID: "id-1", IDSet: true, Type: "kind", Data: lf.Replace(tt.data)}
			if evs[0] != want {
				t.Errorf("got %+.60v, want %+.60v", evs[0], want)
			}
		})
	}
}

func TestAppendEventAllocs(t *testing.T) {
	e := sse.Event{ID: "1234", Type: "update", Data: "line one\nline two\r\nline three", Retry: time.Second, Comment: "c"}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = sse.AppendEvent(buf[:0], &e)
	})
	if allocs != 0 {
		t.Errorf("AppendEvent allocates %v times per call, want 0", allocs)
	}
}

type point struct {
	X int `json:"x"`
	Y int `json:"y"`
}

func TestAppendJSON(t *testing.T) {
	indent := func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
	crlf := func(v any) ([]byte, error) { return []byte("{\r\n\"x\": 1,\r\"y\":\n2}"), nil }
	empty := func(v any) ([]byte, error) { return nil, nil }
	tests := []struct {
		name    string
		e       *sse.Event
		marshal func(any) ([]byte, error)
		want    string
	}{
		{"default marshal", &sse.Event{ID: "1", Type: "point"}, nil, "id: 1\nevent: point\ndata: {\"x\":1,\"y\":2}\n\n"},
		{"nil event", nil, nil, "data: {\"x\":1,\"y\":2}\n\n"},
		{"event data ignored", &sse.Event{Data: "ignored"}, nil, "data: {\"x\":1,\"y\":2}\n\n"},
		{"indented marshal", nil, indent, "data: {\ndata:   \"x\": 1,\ndata:   \"y\": 2\ndata: }\n\n"},
		{"marshal with CR and CRLF", nil, crlf, "data: {\ndata: \"x\": 1,\ndata: \"y\":\ndata: 2}\n\n"},
		{"empty output still dispatched", &sse.Event{Retry: time.Second}, empty, "retry: 1000\ndata: \n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sse.AppendJSON(nil, tt.e, point{1, 2}, tt.marshal)
			if err != nil {
				t.Fatalf("AppendJSON: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			evs, _, err := parse(t, got, nil)
			if err != nil || len(evs) != 1 {
				t.Fatalf("parse: %d events, %v; want 1 event", len(evs), err)
			}
			if evs[0].Data != "" {
				var p point
				if err := json.Unmarshal([]byte(evs[0].Data), &p); err != nil || p != (point{1, 2}) {
					t.Errorf("client decoded %+v, %v from %q; want {1 2}", p, err, evs[0].Data)
				}
			}
		})
	}
}

func TestAppendJSONErrors(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	failing := func(any) ([]byte, error) { calls++; return nil, boom }
	counting := func(v any) ([]byte, error) { calls++; return json.Marshal(v) }

	t.Run("marshal error", func(t *testing.T) {
		calls = 0
		dst := []byte("keep|")
		got, err := sse.AppendJSON(dst, nil, 1, failing)
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "sse: marshal data: ") {
			t.Errorf("err = %v, want sse: marshal data: wrapping boom", err)
		}
		if string(got) != "keep|" {
			t.Errorf("dst changed to %q", got)
		}
		if calls != 1 {
			t.Errorf("marshal called %d times, want 1", calls)
		}
	})
	t.Run("invalid field before marshal", func(t *testing.T) {
		calls = 0
		got, err := sse.AppendJSON([]byte("keep|"), &sse.Event{ID: "a\nb"}, 1, counting)
		if !errors.Is(err, sse.ErrInvalidField) {
			t.Errorf("err = %v, want ErrInvalidField", err)
		}
		if string(got) != "keep|" {
			t.Errorf("dst changed to %q", got)
		}
		if calls != 0 {
			t.Errorf("marshal called %d times, want 0", calls)
		}
	})
	t.Run("unsupported value", func(t *testing.T) {
		_, err := sse.AppendJSON(nil, nil, make(chan int), nil)
		var ute *json.UnsupportedTypeError
		if !errors.As(err, &ute) {
			t.Errorf("err = %v, want a json.UnsupportedTypeError", err)
		}
	})
}
