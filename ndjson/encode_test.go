package ndjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/ndjson"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		f          ndjson.Format
		name, ctyp string
	}{
		{ndjson.Lines, "ndjson", "application/x-ndjson"},
		{ndjson.JSONLines, "jsonl", "application/jsonl"},
		{ndjson.JSONSeq, "json-seq", "application/json-seq"},
		{ndjson.Format(7), "Format(7)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
			if got := tt.f.ContentType(); got != tt.ctyp {
				t.Errorf("ContentType() = %q, want %q", got, tt.ctyp)
			}
		})
	}
}

func raw(s string) func(any) ([]byte, error) {
	return func(any) ([]byte, error) { return []byte(s), nil }
}

func TestAppendRecord(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		marshal func(any) ([]byte, error)
		f       ndjson.Format
		want    string
		wantErr error // matched with errors.Is; errAny for any error
	}{
		{name: "object", v: map[string]int{"n": 1}, want: `{"n":1}` + "\n"},
		{name: "jsonl", v: []int{1, 2}, f: ndjson.JSONLines, want: "[1,2]\n"},
		{name: "json-seq", v: "x", f: ndjson.JSONSeq, want: "\x1e\"x\"\n"},
		{name: "newlines in strings are escaped", v: "a\nb\r\nc\u2028", want: `"a\nb\r\nc\u2028"` + "\n"},
		{name: "no html escaping", v: "<a&b>", want: `"<a&b>"` + "\n"},
		{name: "null", v: nil, want: "null\n"},
		{name: "indented output is compacted", v: 0, marshal: raw("{\n  \"a\": [\r\n 1,\n 2 ]\n}\n"), want: `{"a":[1,2]}` + "\n"},
		{name: "custom output kept as is", v: 0, marshal: raw(`{"a": 1}`), want: `{"a": 1}` + "\n"},
		{name: "custom html escaping kept", v: "<", marshal: json.Marshal, want: `"\u003c"` + "\n"},
		{name: "invalid json", v: 0, marshal: raw(`{"a":`), wantErr: ndjson.ErrInvalidJSON},
		{name: "invalid json with newline", v: 0, marshal: raw("{\n\"a\":\n"), wantErr: ndjson.ErrInvalidJSON},
		{name: "two values", v: 0, marshal: raw(`1 2`), wantErr: ndjson.ErrInvalidJSON},
		{name: "two values on two lines", v: 0, marshal: raw("1\n2"), wantErr: ndjson.ErrInvalidJSON},
		{name: "empty output", v: 0, marshal: raw(""), wantErr: ndjson.ErrInvalidJSON},
		{name: "raw newline in string", v: 0, marshal: raw("\"a\nb\""), wantErr: ndjson.ErrInvalidJSON},
		{name: "invalid utf-8", v: 0, marshal: raw("\"\xff\""), wantErr: ndjson.ErrInvalidJSON},
		{name: "marshal error", v: 0, marshal: func(any) ([]byte, error) { return nil, errBoom }, wantErr: errBoom},
		{name: "unsupported value", v: make(chan int), wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("kept|")
			got, err := ndjson.AppendRecord(prefix, tt.v, tt.marshal, tt.f)
			if tt.wantErr != nil {
				if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "ndjson: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				if string(got) != "kept|" {
					t.Errorf("dst after error = %q, want it unchanged", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if string(got) != "kept|"+tt.want {
				t.Errorf("got %q, want %q", got, "kept|"+tt.want)
			}
		})
	}
}

var (
	errBoom = errors.New("boom")
	errAny  = errors.New("any error")
)

func TestEncoder(t *testing.T) {
	tests := []struct {
		name string
		opts *ndjson.EncoderOptions
		run  func(e *ndjson.Encoder) error
		want string
	}{
		{
			name: "plain",
			run: func(e *ndjson.Encoder) error {
				return errors.Join(e.Encode(1), e.Encode("two"), e.Error(errBoom), e.End())
			},
			want: "1\n\"two\"\n",
		},
		{
			name: "envelope end",
			opts: &ndjson.EncoderOptions{Envelope: true},
			run: func(e *ndjson.Encoder) error {
				return errors.Join(e.Encode(1), e.Encode(map[string]any{"a": nil}), e.End(), e.End())
			},
			want: `{"result":1}` + "\n" + `{"result":{"a":null}}` + "\n" + `{"end":true}` + "\n",
		},
		{
			name: "envelope error",
			opts: &ndjson.EncoderOptions{Envelope: true, Format: ndjson.JSONSeq},
			run: func(e *ndjson.Encoder) error {
				return errors.Join(e.Encode(1), e.Error(errors.New(`bad "input"`+"\n")), e.End())
			},
			want: "\x1e" + `{"result":1}` + "\n\x1e" + `{"error":{"message":"bad \"input\"\n"}}` + "\n",
		},
		{
			name: "envelope error nil is end",
			opts: &ndjson.EncoderOptions{Envelope: true},
			run:  func(e *ndjson.Encoder) error { return e.Error(nil) },
			want: `{"end":true}` + "\n",
		},
		{
			name: "bad value writes nothing",
			opts: &ndjson.EncoderOptions{Marshal: raw("{")},
			run: func(e *ndjson.Encoder) error {
				if err := e.Encode(1); !errors.Is(err, ndjson.ErrInvalidJSON) {
					return err
				}
				return nil
			},
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := ndjson.NewEncoder(&buf, tt.opts)
			if err := tt.run(e); err != nil {
				t.Fatalf("error = %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncoderAfterEnd(t *testing.T) {
	e := ndjson.NewEncoder(new(bytes.Buffer), &ndjson.EncoderOptions{Envelope: true})
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	if err := e.Encode(1); err == nil {
		t.Errorf("Encode after End: got nil error, want one")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errBoom }

func TestEncoderWriteError(t *testing.T) {
	err := ndjson.NewEncoder(failWriter{}, nil).Encode(1)
	if !errors.Is(err, errBoom) {
		t.Errorf("Encode = %v, want it to wrap %v", err, errBoom)
	}
}

func TestNewEncoderUnknownFormat(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "ndjson: ") {
			t.Errorf("panic = %v, want an ndjson: message", r)
		}
	}()
	ndjson.NewEncoder(new(bytes.Buffer), &ndjson.EncoderOptions{Format: 9})
}

// jsonString re-encodes v compactly, to compare decoded values as text.
func jsonString(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
