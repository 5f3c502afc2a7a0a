package sse_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/streamkit/streamkit/internal/readtest"
	"github.com/streamkit/streamkit/sse"
)

// FuzzRoundTrip checks that every event the encoder accepts reaches the
// parser exactly as sent (CR and CRLF in data arriving as LF), that every
// event it refuses breaks a rule, and that nothing panics.
func FuzzRoundTrip(f *testing.F) {
	f.Add("1", "tick", `{"n":1}`, "", int64(0), false)
	f.Add("", "", "", "", int64(0), false)
	f.Add("", "", "", "only a comment", int64(0), false)
	f.Add("", "", "", "", int64(1500*time.Millisecond), false)
	f.Add("", "", "", "", int64(0), true)
	f.Add("", "", "x", "", int64(0), true)
	f.Add("é", "世界", "a\r\nb\rc\nd\n", "c1\r\nc2", int64(1), false)
	f.Add("a\nb", "", "data", "", int64(0), false)
	f.Add("a", "b\r", "data", "", int64(0), false)
	f.Add("\x00", "", "", "", int64(0), false)
	f.Add("\xff", "", "", "", int64(0), false)
	f.Add("", "\xc0", "", "", int64(0), false)
	f.Add("", "", "\xe2\x82\n\xff", "\xff", int64(0), false)
	f.Add("", "", "  leading: spaces", ": colon", int64(-5), false)
	f.Add("", "", "\uFEFFbom", "", int64(math.MaxInt64), false)
	f.Add(strings.Repeat("i", 1025), "", "", "", int64(0), false)
	f.Fuzz(func(t *testing.T, id, typ, data, comment string, retry int64, reset bool) {
		e := sse.Event{ID: id, Type: typ, Data: data, Comment: comment, Retry: time.Duration(retry), ResetID: reset}
		// An event before the fuzzed one, so that a missing id is seen
		// to keep the earlier one.
		prefix, err := sse.AppendEvent(nil, &sse.Event{ID: "prev", Data: "first"})
		if err != nil {
			t.Fatal(err)
		}
		wire, err := sse.AppendEvent(prefix, &e)
		if err != nil {
			if !errors.Is(err, sse.ErrInvalidField) {
				t.Fatalf("error %v does not match ErrInvalidField", err)
			}
			if valid(id, true) && valid(typ, false) {
				t.Fatalf("valid event %#v refused: %v", e, err)
			}
			if !bytes.Equal(wire, prefix) {
				t.Fatalf("refused event changed dst to %q", wire)
			}
			return
		}
		if !valid(id, true) || !valid(typ, false) {
			t.Fatalf("invalid event %#v accepted as %q", e, wire)
		}
		if bytes.HasPrefix(wire, []byte("\uFEFF")) {
			t.Fatalf("stream starts with a BOM")
		}

		var comments []string
		evs, rd, err := parse(t, wire, &sse.ReaderOptions{OnComment: func(c string) { comments = append(comments, c) }})
		if err != nil {
			t.Fatalf("parse %q: %v", wire, err)
		}
		wantID := "prev"
		if id != "" || reset {
			wantID = id
		}
		// Sent rounded up to whole milliseconds; parsed saturating at the
		// largest Duration.
		wantRetry := time.Duration(0) // also for a negative retry: "retry: 0"
		if retry > 0 {
			ms := retry / int64(time.Millisecond)
			if retry%int64(time.Millisecond) != 0 {
				ms++
			}
			wantRetry = math.MaxInt64
			if ms <= math.MaxInt64/int64(time.Millisecond) {
				wantRetry = time.Duration(ms) * time.Millisecond
			}
		}
		control := id == "" && typ == "" && data == "" && (comment != "" || retry != 0 || reset)
		if control {
			if len(evs) != 1 {
				t.Fatalf("control block %#v dispatched %+v", e, evs[1:])
			}
		} else {
			if len(evs) != 2 {
				t.Fatalf("%#v: got %d events, want 2", e, len(evs))
			}
			wantType := typ
			if wantType == "" {
				wantType = "message"
			}
			want := sse.ParsedEvent{ID: wantID, IDSet: id != "" || reset, Type: wantType, Data: whatwgDecode(lf.Replace(data)), Retry: wantRetry}
			if evs[1] != want {
				t.Fatalf("round trip of %#v:\n got %#v\nwant %#v", e, evs[1], want)
			}
		}
		if got := rd.LastEventID(); got != wantID {
			t.Errorf("LastEventID() = %q, want %q", got, wantID)
		}
		if got, set := rd.Retry(); got != wantRetry || set != (retry != 0) {
			t.Errorf("Retry() = %v, %v; want %v, %v", got, set, wantRetry, retry != 0)
		}
		var wantComments []string
		if comment != "" {
			wantComments = strings.Split(whatwgDecode(lf.Replace(comment)), "\n")
		}
		if strings.Join(comments, "\n") != strings.Join(wantComments, "\n") || len(comments) != len(wantComments) {
			t.Errorf("comments %q, want %q", comments, wantComments)
		}
	})
}

// valid reports whether s may be sent as an id (or event type): UTF-8, no
// CR, LF or NUL, and for an id at most MaxLastEventIDLength bytes.
func valid(s string, isID bool) bool {
	if isID && len(s) > sse.MaxLastEventIDLength {
		return false
	}
	return utf8.ValidString(s) && !strings.ContainsAny(s, "\r\n\x00")
}

// FuzzReader feeds arbitrary bytes to the Reader, whole, one byte at a
// time and in reads of a size taken from the input, and compares what it
// dispatches with a plain transcription of the standard's parsing steps.
// Each event read with NextRaw is also encoded by the relay's fast path
// (ssefast.AppendData), which must write what AppendEvent writes for its
// data. It also checks that the Reader never asks for more than its line
// bound in one read, which bounds its buffer.
func FuzzReader(f *testing.F) {
	for _, tc := range wptCases {
		f.Add([]byte(tc.wire))
	}
	f.Add([]byte("data: a\r\r\ndata: b\r\n\r\n"))
	f.Add([]byte("\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n"))
	f.Add([]byte("\xef\xbb\ndata: x\n\n"))
	f.Add([]byte("id: \xed\xa0\x80\nevent: \xf4\x90\x80\x80\ndata: \xe2\x82\n\n"))
	f.Add([]byte("retry: 99999999999999999999999\nretry: 12a\nretry\n\n"))
	f.Add([]byte("data: " + strings.Repeat("x", 40) + "\n\n"))
	f.Add([]byte(strings.Repeat("data: 0123456789\n", 20) + "\n"))
	f.Add([]byte("data: {\"choices\":[]}\n\ndata:x\r\n\r\ndata: a\ndata: b\n\n"))
	// The usual single-line events that NextRaw dispatches without the
	// general parse, between blocks that must take it: an ID carried over,
	// a type, a retry, a second space, an empty value, a CR, a BOM.
	f.Add([]byte("\xef\xbb\xbfdata: 0\n\nid: 7\n\ndata: a\n\nevent: e\ndata: b\n\ndata: c\n\nretry: 10\ndata: d\n\ndata:  e\n\ndata: \n\ndata: f\r\n\ndata: g\n\r\ndata: h\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, lim := range []struct{ line, event int }{{0, 0}, {32, 64}} {
			opts := &sse.ReaderOptions{MaxLineLength: lim.line, MaxEventSize: lim.event, LastEventID: "start"}
			want := refParse(in, lim.line, lim.event, "start")
			// 0 reads the input whole.
			for _, size := range []int{0, 1, 2 + len(in)%61} {
				src := &maxReadRecorder{r: bytes.NewReader(in)}
				var r io.Reader = src
				if size > 0 {
					r = readtest.Every(in, size)
				}
				rd := sse.NewReader(r, opts)
				var got []sse.ParsedEvent
				var err error
				for {
					// Next on whole reads; NextRaw, which Next is built
					// on, on smaller ones.
					var ev sse.ParsedEvent
					if size > 0 {
						var raw *sse.RawEvent
						if raw, err = rd.NextRaw(); err != nil {
							break
						}
						ev = sse.ParsedEvent{ID: raw.ID, Type: raw.Type, Data: string(raw.Data), Retry: raw.Retry, IDSet: raw.IDSet}
						checkAppendData(t, raw)
					} else if ev, err = rd.Next(); err != nil {
						break
					}
					got = append(got, ev)
				}
				if !errors.Is(err, want.err) {
					t.Fatalf("limits %v, reads of %d: err = %v, want %v", lim, size, err, want.err)
				}
				if len(got) != len(want.events) {
					t.Fatalf("limits %v, reads of %d: got %d events %#v, want %d %#v", lim, size, len(got), got, len(want.events), want.events)
				}
				for i := range got {
					if got[i] != want.events[i] {
						t.Fatalf("limits %v, reads of %d: event %d = %#v, want %#v", lim, size, i, got[i], want.events[i])
					}
				}
				if err == io.EOF {
					if id := rd.LastEventID(); id != want.lastID {
						t.Errorf("LastEventID() = %q, want %q", id, want.lastID)
					}
					if d, set := rd.Retry(); d != want.retry || set != want.retrySet {
						t.Errorf("Retry() = %v, %v; want %v, %v", d, set, want.retry, want.retrySet)
					}
				}
				if size == 0 && lim.line > 0 && src.max > lim.line+1 {
					t.Errorf("Reader asked for %d bytes in one read with lines bounded to %d", src.max, lim.line)
				}
			}
		}
	})
}

type maxReadRecorder struct {
	r   io.Reader
	max int
}

func (m *maxReadRecorder) Read(p []byte) (int, error) {
	m.max = max(m.max, len(p))
	return m.r.Read(p)
}

type refResult struct {
	events   []sse.ParsedEvent
	err      error
	lastID   string
	retry    time.Duration
	retrySet bool
}

// refParse is the standard's event stream interpretation written out
// plainly, on the whole input at once: split into lines, decode each,
// process each. Limits of 0 mean the Reader's defaults.
func refParse(in []byte, maxLine, maxEvent int, lastID string) refResult {
	if maxLine == 0 {
		maxLine = sse.DefaultMaxLineLength
	}
	if maxEvent == 0 {
		maxEvent = sse.DefaultMaxEventSize
	}
	res := refResult{lastID: lastID, err: io.EOF}

	// Lines end with CRLF, CR or LF; what follows the last line break is
	// not a line.
	var lines [][]byte
	start := 0
	for i := 0; i < len(in); i++ {
		if in[i] == '\r' || in[i] == '\n' {
			lines = append(lines, in[start:i])
			if in[i] == '\r' && i+1 < len(in) && in[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	tail := in[start:]

	var data strings.Builder
	eventType, idBuffer := "", lastID
	var retry time.Duration
	var idSet bool
	for i, raw := range lines {
		// The bound counts the bytes of the line as read, BOM included.
		if len(raw) > maxLine {
			res.err = sse.ErrLineTooLong
			return res
		}
		if i == 0 {
			raw = bytes.TrimPrefix(raw, []byte{0xEF, 0xBB, 0xBF})
		}
		line := whatwgDecode(string(raw))
		switch {
		case line == "":
			res.lastID = idBuffer
			if data.Len() > 0 {
				if eventType == "" {
					eventType = "message"
				}
				res.events = append(res.events, sse.ParsedEvent{
					ID: idBuffer, IDSet: idSet, Type: eventType,
					Data: strings.TrimSuffix(data.String(), "\n"), Retry: retry,
				})
			}
			data.Reset()
			eventType, retry, idSet = "", 0, false
		case line[0] == ':':
		default:
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch name {
			case "event":
				eventType = value
			case "data":
				data.WriteString(value)
				data.WriteByte('\n')
				if data.Len() > maxEvent {
					res.err = sse.ErrEventTooLarge
					return res
				}
			case "id":
				if !strings.Contains(value, "\x00") {
					idBuffer, idSet = value, true
				}
			case "retry":
				if value != "" && strings.Trim(value, "0123456789") == "" {
					ms := int64(0)
					for _, c := range value {
						if ms <= math.MaxInt64/int64(time.Millisecond) {
							ms = ms*10 + int64(c-'0')
						}
					}
					d := time.Duration(math.MaxInt64)
					if ms <= math.MaxInt64/int64(time.Millisecond) {
						d = time.Duration(ms) * time.Millisecond
					}
					retry, res.retry, res.retrySet = d, d, true
				}
			}
		}
	}
	if len(tail) > maxLine {
		res.err = sse.ErrLineTooLong
	}
	return res
}

// whatwgDecode is the WHATWG Encoding standard's UTF-8 decoder, step by
// step, without its BOM handling: each error emits U+FFFD, and a byte that
// breaks a sequence is processed again on its own.
func whatwgDecode(s string) string {
	var out strings.Builder
	var cp rune
	needed, seen := 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i <= len(s); i++ {
		if i == len(s) {
			if needed != 0 {
				out.WriteRune(utf8.RuneError)
			}
			break
		}
		b := s[i]
		if needed == 0 {
			switch {
			case b <= 0x7F:
				out.WriteByte(b)
			case b >= 0xC2 && b <= 0xDF:
				needed, cp = 1, rune(b&0x1F)
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(b&0xF)
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(b&0x7)
			default:
				out.WriteRune(utf8.RuneError)
			}
			continue
		}
		if b < lower || b > upper {
			cp, needed, seen, lower, upper = 0, 0, 0, 0x80, 0xBF
			out.WriteRune(utf8.RuneError)
			i-- // process b again
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(b&0x3F)
		seen++
		if seen == needed {
			out.WriteRune(cp)
			cp, needed, seen = 0, 0, 0
		}
	}
	return out.String()
}
