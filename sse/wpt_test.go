package sse_test

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/streamkit/streamkit/sse"
)

// The eventsource/format-* cases of web-platform-tests. Each serves a
// message through resources/message.py, which answers message + "\n\n" +
// "\n" (or message + "\n" with newline=none), and asserts what the page's
// EventSource dispatched. wire is that body; want is what the test asserts
// (with the fields it leaves implicit filled in per the standard).
type wptCase struct {
	name      string
	wire      string
	initialID string // Last-Event-ID of a reconnection
	want      []sse.ParsedEvent
	wantID    string // last event ID at the end
	wantRetry time.Duration
}

// message.py's body for message, with its default newline or with none.
func messagePy(message string) string     { return message + "\n\n\n" }
func messagePyNone(message string) string { return message + "\n" }

func msg(data string) sse.ParsedEvent { return sse.ParsedEvent{Type: "message", Data: data} }

var x2048 = strings.Repeat("x", 2048)

var wptCases = []wptCase{
	{name: "format-newlines",
		wire: messagePyNone("data:test\r\ndata\ndata:test\r\n\r"),
		want: []sse.ParsedEvent{msg("test\n\ntest")}},
	{name: "format-leading-space",
		wire: messagePy("data:\ttest\rdata: \ndata:test"),
		want: []sse.ParsedEvent{msg("\ttest\n\ntest")}},
	{name: "format-field-parsing",
		wire: messagePyNone("data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n"),
		want: []sse.ParsedEvent{msg("\x00\n 2\n1\n3\n\n4")}},
	{name: "format-field-data",
		wire: messagePy("data:\n\ndata\ndata\n\ndata:test"),
		want: []sse.ParsedEvent{msg(""), msg("\n"), msg("test")}},
	{name: "format-data-before-final-empty-line",
		wire: messagePyNone("retry:1000\ndata:test1\n\nid:test\ndata:test2"),
		want: []sse.ParsedEvent{{Type: "message", Data: "test1", Retry: time.Second}},
		// The id line belongs to the event cut off by the end of the
		// stream, so the browser's last event ID is still empty.
		wantID: "", wantRetry: time.Second},
	{name: "format-field-event",
		wire: messagePy("event:test\ndata:x\n\ndata:x"),
		want: []sse.ParsedEvent{{Type: "test", Data: "x"}, msg("x")}},
	{name: "format-field-event-empty",
		wire: messagePy("event: \ndata:data"),
		want: []sse.ParsedEvent{msg("data")}},
	{name: "format-field-unknown",
		wire: messagePy("data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test"),
		want: []sse.ParsedEvent{msg("test\n\ntest")}},
	{name: "format-comments",
		wire: messagePyNone("data:1\r:\x00\n:\r\ndata:2\n:" + x2048 + "\rdata:3\n:data:fail\r:" + x2048 + "\ndata:4\n"),
		want: []sse.ParsedEvent{msg("1\n2\n3\n4")}},
	{name: "format-field-id",
		// resources/last-event-id.py on the first request.
		wire:   "id: …\nretry: 200\ndata: hello\n\n",
		want:   []sse.ParsedEvent{{ID: "…", IDSet: true, Type: "message", Data: "hello", Retry: 200 * time.Millisecond}},
		wantID: "…", wantRetry: 200 * time.Millisecond},
	{name: "format-field-id-2 reconnection",
		// The same resource on reconnection echoes Last-Event-ID as data;
		// the ID carries over from the previous connection.
		wire: "data: …\n\n", initialID: "…",
		want:   []sse.ParsedEvent{{ID: "…", Type: "message", Data: "…"}},
		wantID: "…"},
	{name: "format-field-id-3 persists",
		wire:   "id: 1\ndata: 1\n\ndata:2\n\n",
		want:   []sse.ParsedEvent{{ID: "1", IDSet: true, Type: "message", Data: "1"}, {ID: "1", Type: "message", Data: "2"}},
		wantID: "1"},
	{name: "format-field-id-3 changes and persists",
		wire: "id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n",
		want: []sse.ParsedEvent{
			{ID: "1", IDSet: true, Type: "message", Data: "1"},
			{ID: "2", IDSet: true, Type: "message", Data: "2"},
			{ID: "2", Type: "message", Data: "3"},
		},
		wantID: "2"},
	{name: "format-field-id-3 resets",
		wire: "id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
		want: []sse.ParsedEvent{
			{ID: "1", IDSet: true, Type: "message", Data: "1"},
			{ID: "", IDSet: true, Type: "message", Data: "2"},
			{ID: "", Type: "message", Data: "3"},
		},
		wantID: ""},
	{name: "format-field-id-null",
		wire:      "id: \x00\x00\nretry: 200\ndata: hello\n\n",
		want:      []sse.ParsedEvent{{Type: "message", Data: "hello", Retry: 200 * time.Millisecond}},
		wantRetry: 200 * time.Millisecond},
	{name: "format-field-id-null keeps the previous id",
		wire: "id: a\ndata: 1\n\nid: b\x00\ndata: 2\n\n",
		want: []sse.ParsedEvent{
			{ID: "a", IDSet: true, Type: "message", Data: "1"},
			{ID: "a", Type: "message", Data: "2"},
		},
		wantID: "a"},
	{name: "format-field-retry",
		wire:      messagePy("retry:02000\ndata:x"),
		want:      []sse.ParsedEvent{{Type: "message", Data: "x", Retry: 2 * time.Second}},
		wantRetry: 2 * time.Second},
	{name: "format-field-retry-bogus",
		wire:      messagePy("retry:2000\nretry:1000x\ndata:x"),
		want:      []sse.ParsedEvent{{Type: "message", Data: "x", Retry: 2 * time.Second}},
		wantRetry: 2 * time.Second},
	{name: "format-field-retry-empty",
		wire: messagePy("retry\ndata:test"),
		want: []sse.ParsedEvent{msg("test")}},
	{name: "format-bom",
		wire: messagePy("\uFEFFdata:1\n\n\uFEFFdata:2\n\ndata:3"),
		want: []sse.ParsedEvent{msg("1"), msg("3")}},
	{name: "format-bom-2",
		wire: messagePy("\uFEFF\uFEFFdata:1\n\ndata:2\n\ndata:3"),
		want: []sse.ParsedEvent{msg("2"), msg("3")}},
	{name: "format-null-character",
		wire: messagePy("data:\x00\n\n"),
		want: []sse.ParsedEvent{msg("\x00")}},
	{name: "format-utf-8",
		wire: messagePy("data:ok\xe2\x80\xa6"),
		want: []sse.ParsedEvent{msg("ok…")}},
}

// TestWPTParse runs each case's wire bytes through the Reader, read whole
// and one byte at a time.
func TestWPTParse(t *testing.T) {
	for _, tc := range wptCases {
		t.Run(tc.name, func(t *testing.T) {
			readers := map[string]func() *sse.Reader{
				"whole": func() *sse.Reader {
					return sse.NewReader(strings.NewReader(tc.wire), &sse.ReaderOptions{LastEventID: tc.initialID})
				},
				"byte by byte": func() *sse.Reader {
					return sse.NewReader(iotest.OneByteReader(strings.NewReader(tc.wire)), &sse.ReaderOptions{LastEventID: tc.initialID})
				},
			}
			for how, newReader := range readers {
				rd := newReader()
				var got []sse.ParsedEvent
				for ev, err := range rd.All() {
					if err != nil {
						t.Fatalf("%s: %v", how, err)
					}
					got = append(got, ev)
				}
				checkEvents(t, how, got, tc.want)
				checkState(t, how, rd, tc.wantID, tc.wantRetry)
			}
		})
	}
}

// TestWPTEncode encodes each case's events as a server would send them,
// parses the result and expects the same events and final state.
func TestWPTEncode(t *testing.T) {
	for _, tc := range wptCases {
		t.Run(tc.name, func(t *testing.T) {
			var wire []byte
			for _, p := range tc.want {
				e := sse.Event{Data: p.Data, Retry: p.Retry}
				if p.IDSet {
					e.ID, e.ResetID = p.ID, p.ID == ""
				}
				if p.Type != "message" {
					e.Type = p.Type
				}
				var err error
				if wire, err = sse.AppendEvent(wire, &e); err != nil {
					t.Fatalf("AppendEvent(%+v): %v", e, err)
				}
			}
			if bytes.HasPrefix(wire, []byte("\uFEFF")) {
				t.Errorf("encoded stream starts with a BOM")
			}
			got, rd, err := parse(t, wire, &sse.ReaderOptions{LastEventID: tc.initialID})
			if err != nil {
				t.Fatalf("parse %q: %v", wire, err)
			}
			checkEvents(t, "encoded", got, tc.want)
			checkState(t, "encoded", rd, tc.wantID, tc.wantRetry)
		})
	}
}

func checkEvents(t *testing.T, how string, got, want []sse.ParsedEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d events %+v, want %d %+v", how, len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: event %d = %+v, want %+v", how, i, got[i], want[i])
		}
	}
}

func checkState(t *testing.T, how string, rd *sse.Reader, wantID string, wantRetry time.Duration) {
	t.Helper()
	if got := rd.LastEventID(); got != wantID {
		t.Errorf("%s: LastEventID() = %q, want %q", how, got, wantID)
	}
	if got, set := rd.Retry(); got != wantRetry || set != (wantRetry != 0) {
		t.Errorf("%s: Retry() = %v, %v; want %v, %v", how, got, set, wantRetry, wantRetry != 0)
	}
}
