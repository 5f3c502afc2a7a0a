package sse_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/internal/readtest"
	"github.com/streamkit/streamkit/internal/ssefast"
	"github.com/streamkit/streamkit/sse"
)

// fastPathStreams are event streams that take the Reader's usual-case
// paths (blank lines and data lines found without a search, one data line
// dispatched from the read buffer, one CR search per read) and leave them
// at every turn: CR and CRLF line ends, a BOM, invalid UTF-8, lines longer
// than the first read buffer, comments, id and retry fields, several data
// lines, a last line without its break.
func fastPathStreams() []string {
	streams := []string{
		"data: x\n\n",
		"data:x\n\ndata: y\n\n",
		"data\n\ndata:\n\ndata: \n\n",
		"\uFEFFdata: bom\n\n",
		"\uFEFF\n\ndata: after\n\n",
		"data: a\ndata: b\n\n",
		"data: a\r\ndata: b\r\n\r\n",
		"data: a\rdata: b\r\r",
		"data: a\r\n\ndata: b\n\r\n",
		"data: \xe2\x82\n\ndata: \xff ok\n\n",
		"data: é 世界\n\n",
		": comment\ndata: x\n: another\n\n",
		"id: 7\nevent: e\nretry: 10\ndata: x\n\n",
		"data: x\nid: 8\n\ndata: y\n\n",
		"data: " + strings.Repeat("x", 5000) + "\n\ndata: next\n\n",
		"data: " + strings.Repeat("y", 4090) + "\ndata: z\n\n",
		strings.Repeat("data: 0123456789\n\n", 300),
		strings.Repeat("data: 0123456789\r\n\r\n", 300),
		"data: no end\n",
		"data: no blank line",
		"data: {\"choices\":[]}\n\ndata: [DONE]\n\n",
	}
	for _, tc := range wptCases {
		streams = append(streams, tc.wire)
	}
	// And random mixtures of the same pieces.
	lines := []string{
		"data: x", "data:x", "data", "data: ", "data:  two spaces", "data: \xe2\x82",
		"data: \xf0\x9f\x98\x80", "data: " + strings.Repeat("l", 300), ": c", ":", "id: 1", "id",
		"id: a\x00b", "event: e", "event", "retry: 10", "retry: x", "other: f", "", "", "",
	}
	ends := []string{"\n", "\n", "\n", "\r", "\r\n"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var b strings.Builder
		if rng.IntN(8) == 0 {
			b.WriteString("\uFEFF")
		}
		for range rng.IntN(20) {
			b.WriteString(lines[rng.IntN(len(lines))])
			b.WriteString(ends[rng.IntN(len(ends))])
		}
		streams = append(streams, b.String())
	}
	return streams
}

// readSizes are the read sizes a stream of n bytes is fed in: every size
// up to 64 and past the whole for short streams, a spread for long ones.
func readSizes(n int) []int {
	var sizes []int
	for k := 1; k <= min(n+1, 64); k++ {
		sizes = append(sizes, k)
	}
	for _, k := range []int{127, 1000, 4095, 4096, 4097, n} {
		if k > 64 {
			sizes = append(sizes, k)
		}
	}
	return sizes
}

// TestReaderFastPathsDifferential parses each stream in reads of every size
// and checks the events against the standard's steps written out plainly
// (refParse), and every event forwarded by the relay's fast path
// (ssefast.AppendData) against AppendEvent's encoding of its data.
func TestReaderFastPathsDifferential(t *testing.T) {
	for si, in := range fastPathStreams() {
		want := refParse([]byte(in), 0, 0, "")
		for _, k := range readSizes(len(in)) {
			rd := sse.NewReader(readtest.Every([]byte(in), k), nil)
			var got []sse.ParsedEvent
			var err error
			for {
				var ev *sse.RawEvent
				if ev, err = rd.NextRaw(); err != nil {
					break
				}
				got = append(got, sse.ParsedEvent{ID: ev.ID, Type: ev.Type, Data: string(ev.Data), Retry: ev.Retry, IDSet: ev.IDSet})
				checkAppendData(t, ev)
				// Appending to Data, which the caller must not do to a
				// slice it does not own, still must not change what is
				// parsed next.
				_ = append(ev.Data, "\n\nevent: injected\n"...)
			}
			if !errors.Is(err, want.err) {
				t.Fatalf("stream %d %q, reads of %d: err = %v, want %v", si, in, k, err, want.err)
			}
			if len(got) != len(want.events) {
				t.Fatalf("stream %d %q, reads of %d: got %d events %#v, want %d %#v", si, in, k, len(got), got, len(want.events), want.events)
			}
			for i := range got {
				if got[i] != want.events[i] {
					t.Fatalf("stream %d %q, reads of %d: event %d = %#v, want %#v", si, in, k, i, got[i], want.events[i])
				}
			}
		}
	}
}

// checkAppendData checks that ssefast.AppendData encodes ev as
// AppendEvent encodes an Event with its data: as it came from the Reader,
// with its Data replaced by a copy (no longer the Reader's: searched), and
// after Forget.
func checkAppendData(t *testing.T, ev *sse.RawEvent) {
	t.Helper()
	want, err := sse.AppendEvent([]byte("prefix"), &sse.Event{Data: string(ev.Data)})
	if err != nil {
		t.Fatal(err)
	}
	if got := ssefast.AppendData([]byte("prefix"), ev); !bytes.Equal(got, want) {
		t.Fatalf("AppendData(%q) = %q, want %q", ev.Data, got, want)
	}
	if w := ssefast.Wire(ev); w != nil && !bytes.Equal(w, want[len("prefix"):]) {
		t.Fatalf("Wire(%q) = %q, want %q", ev.Data, w, want[len("prefix"):])
	}
	saved := ev.Data
	ev.Data = append([]byte(nil), saved...)
	if got := ssefast.AppendData([]byte("prefix"), ev); !bytes.Equal(got, want) {
		t.Fatalf("AppendData of a copy of %q = %q, want %q", saved, got, want)
	}
	if w := ssefast.Wire(ev); w != nil {
		t.Fatalf("Wire of a copy of %q = %q, want nil", saved, w)
	}
	ev.Data = saved
}

// TestAppendDataReplaced: data the Reader did not parse, or that it was
// told to forget, has its line breaks split into data lines, even where
// the Reader's own data had none.
func TestAppendDataReplaced(t *testing.T) {
	for _, forget := range []bool{false, true} {
		rd := sse.NewReader(strings.NewReader("data: one line\n\n"), nil)
		ev, err := rd.NextRaw()
		if err != nil {
			t.Fatal(err)
		}
		if forget {
			ssefast.Forget(ev)
			// The same slice, forgotten: an in-place change is searched.
			copy(ev.Data, "a\nb\rc")
		} else {
			ev.Data = []byte("a\nb\rc")
		}
		// Forgotten, the Reader's own slice is searched too, so the bytes
		// written over it in place are split.
		want := "data: a\ndata: b\ndata: c\n\n"
		if forget {
			want = "data: a\ndata: b\ndata: cine\n\n"
		}
		got := string(ssefast.AppendData(nil, ev))
		if w := ssefast.Wire(ev); w != nil {
			t.Errorf("forget %v: Wire = %q, want nil", forget, w)
		}
		if got != want {
			t.Errorf("forget %v: AppendData = %q, want %q", forget, got, want)
		}
	}
	// An event made by hand was never the Reader's.
	if got := string(ssefast.AppendData(nil, &sse.RawEvent{Data: []byte("x\ny")})); got != "data: x\ndata: y\n\n" {
		t.Errorf("AppendData of a hand-made event = %q", got)
	}
}
