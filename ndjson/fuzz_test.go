package ndjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/streamkit/streamkit/ndjson"
)

var allFormats = []ndjson.Format{ndjson.Lines, ndjson.JSONLines, ndjson.JSONSeq}

// checkLine fails unless rec is exactly one record of format f: the RS
// prefix for JSON text sequences, one valid JSON value with no raw line
// break, and a final LF. It returns the JSON value.
func checkLine(t *testing.T, rec []byte, f ndjson.Format) []byte {
	t.Helper()
	body, ok := bytes.CutSuffix(rec, []byte("\n"))
	if !ok {
		t.Fatalf("record %q does not end with LF", rec)
	}
	if f == ndjson.JSONSeq {
		if body, ok = bytes.CutPrefix(body, []byte{0x1e}); !ok {
			t.Fatalf("json-seq record %q does not start with RS", rec)
		}
	}
	if bytes.ContainsAny(body, "\r\n\x1e") {
		t.Fatalf("record %q holds a raw CR, LF or RS", rec)
	}
	if !json.Valid(body) || !utf8.Valid(body) {
		t.Fatalf("record %q is not one valid UTF-8 JSON value", rec)
	}
	return body
}

// FuzzEncodeLine checks that whatever is encoded, every record is one line
// of valid JSON: strings and nested values through encoding/json, and
// arbitrary bytes from a custom Marshal, which must give either an error or
// a valid line.
func FuzzEncodeLine(f *testing.F) {
	f.Add("plain", []byte(`{"a":1}`))
	f.Add("line\nbreak\r\n\u2028", []byte("{\n  \"a\": [1,\n 2]\r\n}"))
	f.Add("<html>&", []byte("\"a\nb\""))
	f.Add("\xff\xfe invalid utf-8", []byte("\"\xff\""))
	f.Add("\x00\x1e\x1f", []byte("1 2"))
	f.Add("", []byte(""))
	f.Add(`"quoted" \ back`, []byte(" \t\r\n null \n"))
	f.Fuzz(func(t *testing.T, s string, raw []byte) {
		values := []any{
			s,
			map[string]any{s: []any{s, map[string]string{"k": s}, nil, 1.5}},
			[]any{[]any{[]any{s}}},
			struct {
				S string `json:"s"`
				B []byte `json:"b"`
			}{s, raw},
		}
		for _, f := range allFormats {
			for _, v := range values {
				rec, err := ndjson.AppendRecord(nil, v, nil, f)
				if err != nil {
					t.Fatalf("encoding %#v: %v", v, err)
				}
				checkLine(t, rec, f)
				// The decoder reads back exactly one record.
				d := ndjson.NewDecoder(bytes.NewReader(rec), &ndjson.DecoderOptions{Format: f})
				var back any
				if err := d.Decode(&back); err != nil {
					t.Fatalf("decoding %q: %v", rec, err)
				}
				if err := d.Decode(&back); err != io.EOF {
					t.Fatalf("decoding %q: second Decode = %v, want EOF", rec, err)
				}
			}
			if utf8.ValidString(s) {
				rec, _ := ndjson.AppendRecord(nil, s, nil, f)
				var back string
				if err := json.Unmarshal(checkLine(t, rec, f), &back); err != nil || back != s {
					t.Fatalf("round trip of %q gave %q, %v", s, back, err)
				}
			}

			marshal := func(any) ([]byte, error) { return raw, nil }
			rec, err := ndjson.AppendRecord([]byte("x"), nil, marshal, f)
			valid := json.Valid(raw) && utf8.Valid(raw)
			switch {
			case err != nil && valid:
				t.Fatalf("valid marshal output %q refused: %v", raw, err)
			case err != nil:
				if !errors.Is(err, ndjson.ErrInvalidJSON) {
					t.Fatalf("invalid marshal output %q: error %v does not match ErrInvalidJSON", raw, err)
				}
				if string(rec) != "x" {
					t.Fatalf("invalid marshal output %q: dst changed to %q", raw, rec)
				}
			case !valid:
				t.Fatalf("invalid marshal output %q accepted as %q", raw, rec)
			default:
				body := checkLine(t, rec[1:], f)
				var want, got bytes.Buffer
				json.Compact(&want, raw)
				json.Compact(&got, body)
				if want.String() != got.String() {
					t.Fatalf("marshal output %q became %q", raw, body)
				}
			}
		}
	})
}

// FuzzDecode checks that the decoder never panics or loops on any input,
// in every format and mode, and always comes to an end.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("1\n2\r\n\n{\"a\":[1,2]}"), uint8(0), uint16(0))
	f.Add([]byte("\x1e1\n\x1e{\n}\n\x1e\x1e"), uint8(2), uint16(4))
	f.Add([]byte(`{"result":1}`+"\n"+`{"heartbeat":true}`+"\n"+`{"end":true}`+"\n"), uint8(4), uint16(0))
	f.Add([]byte(`{"error":{"message":"x"}}`), uint8(6), uint16(3))
	f.Add([]byte("\r\r\n\x00\xff\n[[[[[[\n"), uint8(1), uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8, max uint16) {
		opts := &ndjson.DecoderOptions{
			Format:       allFormats[int(mode)%len(allFormats)],
			Envelope:     mode&4 != 0,
			MaxLineBytes: int(max),
		}
		d := ndjson.NewDecoder(bytes.NewReader(in), opts)
		// Each call consumes at least one delimiter or ends the input, so
		// the number of calls is bounded by the input's length.
		for i := 0; ; i++ {
			if i > len(in)+2 {
				t.Fatalf("decoder did not finish within %d calls", i)
			}
			var v any
			err := d.Decode(&v)
			if err == io.EOF || errors.Is(err, ndjson.ErrTruncated) {
				break
			}
			var re *ndjson.RemoteError
			if errors.As(err, &re) {
				if err := d.Decode(&v); err != io.EOF {
					t.Fatalf("Decode after an error record = %v, want EOF", err)
				}
				break
			}
		}
		for v, err := range ndjson.Records[json.RawMessage](bytes.NewReader(in), opts) {
			if err == nil && !json.Valid(v) {
				t.Fatalf("Records yielded invalid JSON %q", v)
			}
		}
	})
}
