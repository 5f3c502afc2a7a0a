package sse_test

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/streamkit/streamkit/sse"
)

// chunkReader returns its input in chunks of the given sizes, then the
// rest.
type chunkReader struct {
	s     string
	sizes []int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := len(c.s)
	if len(c.sizes) > 0 {
		n, c.sizes = min(c.sizes[0], n), c.sizes[1:]
	}
	n = copy(p, c.s[:n])
	c.s = c.s[n:]
	return n, nil
}

func readAll(t *testing.T, r io.Reader, opts *sse.ReaderOptions) ([]sse.ParsedEvent, error) {
	t.Helper()
	var evs []sse.ParsedEvent
	for ev, err := range sse.NewReader(r, opts).All() {
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// TestReaderSplits parses streams split into two reads at every position,
// which puts every CR, CRLF and BOM across a read boundary.
func TestReaderSplits(t *testing.T) {
	wires := []string{
		"data: a\r\n\r\ndata: b\r\rdata: c\n\n",
		"\uFEFFdata: bom\r\n\r\n",
		"\r\n\r\r\n\ndata:x\r\r\ndata:y\r\n\r\n",
		"id: \xe2\x82\r\ndata: \xf0\x9f\x98\r\n\r\n",
	}
	for _, tc := range wptCases {
		wires = append(wires, tc.wire)
	}
	for _, wire := range wires {
		want, err := readAll(t, strings.NewReader(wire), nil)
		if err != nil {
			t.Fatalf("%q: %v", wire, err)
		}
		for i := 1; i < len(wire); i++ {
			got, err := readAll(t, &chunkReader{s: wire, sizes: []int{i}}, nil)
			if err != nil {
				t.Fatalf("%q split at %d: %v", wire, i, err)
			}
			if len(got) != len(want) {
				t.Fatalf("%q split at %d: got %d events, want %d", wire, i, len(got), len(want))
			}
			for j := range got {
				if got[j] != want[j] {
					t.Errorf("%q split at %d: event %d = %+v, want %+v", wire, i, j, got[j], want[j])
				}
			}
		}
	}
}

// TestReaderDoesNotWaitAfterCR checks that a line ended by CR is processed
// at once on a live stream, without waiting for the byte that tells whether
// an LF follows.
func TestReaderDoesNotWaitAfterCR(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	gotFirst := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		pw.Write([]byte("data: one\r\r")) //nolint:errcheck // the reader checks
		select {
		case <-gotFirst:
			// This LF completes the CRLF that the first part ended with,
			// so it must not count as a blank line.
			pw.Write([]byte("\ndata: two\r\n\r\n")) //nolint:errcheck
		case <-time.After(5 * time.Second):
		}
		pw.Close()
	}()
	rd := sse.NewReader(pr, nil)
	ev, err := rd.Next()
	if err != nil || ev.Data != "one" {
		t.Fatalf("first Next = %+v, %v; want data one", ev, err)
	}
	close(gotFirst)
	ev, err = rd.Next()
	if err != nil || ev.Data != "two" {
		t.Fatalf("second Next = %+v, %v; want data two", ev, err)
	}
	if ev, err = rd.Next(); err != io.EOF {
		t.Errorf("third Next = %+v, %v; want io.EOF", ev, err)
	}
	<-writerDone
}

func TestReaderLimits(t *testing.T) {
	tests := []struct {
		name       string
		wire       string
		opts       sse.ReaderOptions
		wantEvents int
		wantErr    error
	}{
		{"line at the limit", "data: 0123456789\n\n", sse.ReaderOptions{MaxLineLength: 16}, 1, nil},
		{"line past the limit", "data: 0123456789a\n\n", sse.ReaderOptions{MaxLineLength: 16}, 0, sse.ErrLineTooLong},
		{"comment past the limit", "data: a\n\n:" + strings.Repeat("c", 100) + "\n", sse.ReaderOptions{MaxLineLength: 16}, 1, sse.ErrLineTooLong},
		{"unterminated line past the limit", "data: a\n\n" + strings.Repeat("x", 40), sse.ReaderOptions{MaxLineLength: 16}, 1, sse.ErrLineTooLong},
		{"unterminated line at the limit", "data: a\n\n" + strings.Repeat("x", 16), sse.ReaderOptions{MaxLineLength: 16}, 1, nil},
		{"long line within the default", "data: " + strings.Repeat("x", 100000) + "\n\n", sse.ReaderOptions{}, 1, nil},
		{"event at the limit", "data: 1234\ndata: 1234\n\n", sse.ReaderOptions{MaxEventSize: 10}, 1, nil},
		{"event past the limit", "data: 1234\ndata: 12345\n\n", sse.ReaderOptions{MaxEventSize: 10}, 0, sse.ErrEventTooLarge},
		{"many small lines past the limit", strings.Repeat("data\n", 1000), sse.ReaderOptions{MaxEventSize: 100}, 0, sse.ErrEventTooLarge},
		{"limit counts decoded bytes", "data: \xff\xff\xff\xff\n\n", sse.ReaderOptions{MaxEventSize: 10}, 0, sse.ErrEventTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for how, r := range map[string]io.Reader{
				"whole":        strings.NewReader(tt.wire),
				"byte by byte": iotest.OneByteReader(strings.NewReader(tt.wire)),
			} {
				rd := sse.NewReader(r, &tt.opts)
				n := 0
				var err error
				for {
					if _, err = rd.Next(); err != nil {
						break
					}
					n++
				}
				if n != tt.wantEvents {
					t.Errorf("%s: got %d events, want %d", how, n, tt.wantEvents)
				}
				if tt.wantErr == nil && err != io.EOF || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("%s: err = %v, want %v", how, err, tt.wantErr)
				}
				if _, again := rd.Next(); again != err {
					t.Errorf("%s: Next after the error = %v, want %v again", how, again, err)
				}
			}
		})
	}
}

func TestReaderReadErrors(t *testing.T) {
	boom := errors.New("boom")
	t.Run("error after data", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("data: 1\n\ndata: 2\n"), iotest.ErrReader(boom))
		evs, err := readAll(t, r, nil)
		if len(evs) != 1 || evs[0].Data != "1" {
			t.Errorf("events = %+v, want the one before the error", evs)
		}
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "sse: read: ") {
			t.Errorf("err = %v, want sse: read: wrapping boom", err)
		}
	})
	t.Run("data returned with the error", func(t *testing.T) {
		evs, err := readAll(t, iotest.DataErrReader(strings.NewReader("data: 1\n\n")), nil)
		if len(evs) != 1 || err != nil {
			t.Errorf("got %+v, %v; want one event and a clean end", evs, err)
		}
	})
	t.Run("timeout reader", func(t *testing.T) {
		evs, err := readAll(t, iotest.TimeoutReader(strings.NewReader("data: 1\n\n")), nil)
		if len(evs) != 1 || !errors.Is(err, iotest.ErrTimeout) {
			t.Errorf("got %+v, %v; want one event then ErrTimeout", evs, err)
		}
	})
	t.Run("impossible count", func(t *testing.T) {
		_, err := readAll(t, overReader{}, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "sse: read: ") {
			t.Errorf("err = %v, want an sse: read: error", err)
		}
	})
	t.Run("no progress", func(t *testing.T) {
		_, err := readAll(t, zeroReader{}, nil)
		if !errors.Is(err, io.ErrNoProgress) {
			t.Errorf("err = %v, want io.ErrNoProgress", err)
		}
	})
}

// overReader claims to have read more than it was given room for.
type overReader struct{}

func (overReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// TestReaderUTF8 checks that invalid UTF-8 is replaced as the WHATWG
// decoder does: one U+FFFD per maximal invalid sequence.
func TestReaderUTF8(t *testing.T) {
	const r = "\uFFFD"
	tests := []struct {
		name, in, want string
	}{
		{"valid", "€ 世界 🎉", "€ 世界 🎉"},
		{"lone continuation", "a\x80b", "a" + r + "b"},
		{"invalid byte", "\xff", r},
		{"truncated 3-byte sequence", "\xe2\x82A", r + "A"},
		{"truncated 4-byte sequence", "\xf0\x9f\x98x", r + "x"},
		{"truncated at end of line", "\xe2\x82", r},
		{"surrogate", "\xed\xa0\x80", r + r + r},
		{"overlong 2-byte", "\xc0\xaf", r + r},
		{"overlong 3-byte", "\xe0\x80\x80", r + r + r},
		{"above U+10FFFF", "\xf4\x90\x80\x80", r + r + r + r},
		{"replacement character itself", "\uFFFD", r},
		{"two truncated sequences", "\xe2\x82\xe2\x82", r + r},
		{"truncated 2-byte sequence", "\xc3x", r + "x"},
		{"valid around invalid", "é\xffü€", "é" + r + "ü€"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var comments []string
			wire := ":" + tt.in + "\nid: " + tt.in + "\nevent: " + tt.in + "\ndata: " + tt.in + "\n\n"
			evs, _, err := parse(t, []byte(wire), &sse.ReaderOptions{OnComment: func(c string) { comments = append(comments, c) }})
			if err != nil || len(evs) != 1 {
				t.Fatalf("got %d events, %v; want 1", len(evs), err)
			}
			want := sse.ParsedEvent{ID: tt.want, IDSet: true, Type: tt.want, Data: tt.want}
			if evs[0] != want {
				t.Errorf("got %#v, want %#v", evs[0], want)
			}
			if len(comments) != 1 || comments[0] != tt.want {
				t.Errorf("comments %q, want [%q]", comments, tt.want)
			}
		})
	}
}

func TestReaderFields(t *testing.T) {
	huge := strings.Repeat("9", 40)
	tests := []struct {
		name      string
		wire      string
		want      []sse.ParsedEvent
		wantRetry time.Duration
		retrySet  bool
	}{
		{"retry zero is set", "retry: 0\ndata: x\n\n", []sse.ParsedEvent{msg("x")}, 0, true},
		{"retry saturates", "retry: " + huge + "\ndata: x\n\n",
			[]sse.ParsedEvent{{Type: "message", Data: "x", Retry: math.MaxInt64}}, math.MaxInt64, true},
		{"retry largest exact", "retry: 9223372036854\ndata: x\n\n",
			[]sse.ParsedEvent{{Type: "message", Data: "x", Retry: 9223372036854 * time.Millisecond}}, 9223372036854 * time.Millisecond, true},
		{"retry with two spaces ignored", "retry:  5\ndata: x\n\n", []sse.ParsedEvent{msg("x")}, 0, false},
		{"retry negative ignored", "retry: -5\ndata: x\n\n", []sse.ParsedEvent{msg("x")}, 0, false},
		{"retry non-ASCII digits ignored", "retry: ５\ndata: x\n\n", []sse.ParsedEvent{msg("x")}, 0, false},
		{"retry in a block without data still applies", "retry: 7\n\n", nil, 7 * time.Millisecond, true},
		{"retry belongs to its event only", "retry: 7\ndata: a\n\ndata: b\n\n",
			[]sse.ParsedEvent{{Type: "message", Data: "a", Retry: 7 * time.Millisecond}, msg("b")}, 7 * time.Millisecond, true},
		{"event type resets after dispatch", "event: a\ndata: 1\n\ndata: 2\n\n",
			[]sse.ParsedEvent{{Type: "a", Data: "1"}, msg("2")}, 0, false},
		{"event type of an undispatched block is dropped", "event: a\n\ndata: 2\n\n", []sse.ParsedEvent{msg("2")}, 0, false},
		{"later event field wins", "event: a\nevent:\ndata: 1\n\n", []sse.ParsedEvent{msg("1")}, 0, false},
		{"names are case-sensitive", "DATA: 1\nEvent: x\nID: 3\nRetry: 5\ndata: 2\n\n", []sse.ParsedEvent{msg("2")}, 0, false},
		{"only one space stripped", "data:   x\n\n", []sse.ParsedEvent{msg("  x")}, 0, false},
		{"tab not stripped", "data:\tx\n\n", []sse.ParsedEvent{msg("\tx")}, 0, false},
		{"colon in value kept", "data: a:b: c\n\n", []sse.ParsedEvent{msg("a:b: c")}, 0, false},
		{"blank lines alone dispatch nothing", "\n\n\r\n\r", nil, 0, false},
		{"CR CR LF is two lines", "data: x\r\r\n", []sse.ParsedEvent{msg("x")}, 0, false},
		{"BOM only at the start", "data: 1\n\n\uFEFFdata: 2\n\n", []sse.ParsedEvent{msg("1")}, 0, false},
		{"BOM in data kept", "data: \uFEFF\n\n", []sse.ParsedEvent{msg("\uFEFF")}, 0, false},
		{"incomplete event dropped at EOF", "data: 1\n\ndata: 2\n", []sse.ParsedEvent{msg("1")}, 0, false},
		{"unterminated line dropped at EOF", "data: 1\n\ndata: 2\n\nretry: 5", []sse.ParsedEvent{msg("1"), msg("2")}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rd, err := parse(t, []byte(tt.wire), nil)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			checkEvents(t, "parse", got, tt.want)
			if d, set := rd.Retry(); d != tt.wantRetry || set != tt.retrySet {
				t.Errorf("Retry() = %v, %v; want %v, %v", d, set, tt.wantRetry, tt.retrySet)
			}
		})
	}
}

func TestReaderLastEventID(t *testing.T) {
	rd := sse.NewReader(strings.NewReader("id: 5\n\nid: 6\ndata: x\n\nid: 7\n"), &sse.ReaderOptions{LastEventID: "4"})
	if got := rd.LastEventID(); got != "4" {
		t.Errorf("LastEventID before reading = %q, want the initial 4", got)
	}
	ev, err := rd.Next()
	if err != nil || ev.ID != "6" || !ev.IDSet {
		t.Fatalf("Next = %+v, %v; want ID 6 set", ev, err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("Next = %v, want io.EOF", err)
	}
	// The id 7 was never dispatched: a reconnecting browser sends 6.
	if got := rd.LastEventID(); got != "6" {
		t.Errorf("LastEventID at the end = %q, want 6", got)
	}
}

func TestReaderComments(t *testing.T) {
	var got []string
	wire := ":\n: a\n:  b\n:c\r\ndata: x\n: after\n\n"
	evs, _, err := parse(t, []byte(wire), &sse.ReaderOptions{OnComment: func(c string) { got = append(got, c) }})
	if err != nil || len(evs) != 1 || evs[0].Data != "x" {
		t.Fatalf("got %+v, %v; want one event x", evs, err)
	}
	want := []string{"", "a", " b", "c", "after"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("comments %q, want %q", got, want)
	}
}

func TestReaderAllBreak(t *testing.T) {
	rd := sse.NewReader(strings.NewReader("data: 1\n\ndata: 2\n\ndata: 3\n\n"), nil)
	for ev, err := range rd.All() {
		if err != nil || ev.Data != "1" {
			t.Fatalf("first = %+v, %v", ev, err)
		}
		break
	}
	var rest []string
	for ev, err := range rd.All() {
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, ev.Data)
	}
	if strings.Join(rest, ",") != "2,3" {
		t.Errorf("after break got %q, want 2,3", rest)
	}
}

// TestReaderNextRaw reads with NextRaw: each event's Data is the event's,
// and stays so until the next call, though the Reader reuses its buffer.
func TestReaderNextRaw(t *testing.T) {
	r := sse.NewReader(strings.NewReader("data: first\ndata: line\n\nevent: e\nid: 7\ndata: second\n\n"), nil)
	want := []sse.RawEvent{
		{Type: "message", Data: []byte("first\nline")},
		{ID: "7", Type: "e", IDSet: true, Data: []byte("second")},
	}
	for i, w := range want {
		ev, err := r.NextRaw()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.ID != w.ID || ev.Type != w.Type || ev.IDSet != w.IDSet || string(ev.Data) != string(w.Data) {
			t.Errorf("event %d = %+v, want %+v", i, *ev, w)
		}
	}
	if _, err := r.NextRaw(); err != io.EOF {
		t.Errorf("after the last event: %v, want io.EOF", err)
	}
}
