package ndjson_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/streamkit/streamkit/ndjson"
)

// decodeAll decodes every record of in as any, and returns them with the
// errors met on the way (as strings, "ERR:<sentinel>" for known ones).
func decodeAll(t *testing.T, d *ndjson.Decoder) []string {
	t.Helper()
	var out []string
	for range 100 {
		var v any
		err := d.Decode(&v)
		var re *ndjson.RemoteError
		switch {
		case err == io.EOF:
			return out
		case errors.Is(err, ndjson.ErrLineTooLong):
			out = append(out, "ERR:too-long")
		case errors.Is(err, ndjson.ErrTruncated):
			return append(out, "ERR:truncated")
		case errors.As(err, &re):
			out = append(out, "ERR:remote:"+re.Message)
		case errors.Is(err, errBoom):
			return append(out, "ERR:boom")
		case err != nil:
			if !strings.HasPrefix(err.Error(), "ndjson: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			out = append(out, "ERR:other")
		default:
			out = append(out, strings.TrimSpace(jsonString(t, v)))
		}
	}
	t.Fatal("decoder did not stop")
	return nil
}

func TestDecoder(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts ndjson.DecoderOptions
		want []string
	}{
		{name: "lf", in: "1\n\"a\"\n{\"b\":[]}\n", want: []string{"1", `"a"`, `{"b":[]}`}},
		{name: "crlf", in: "1\r\n2\r\n", want: []string{"1", "2"}},
		{name: "blank lines skipped", in: "\n\n1\n \t\r\n\n2\n\n", want: []string{"1", "2"}},
		{name: "no final newline", in: "1\n2", want: []string{"1", "2"}},
		{name: "empty input", in: "", want: nil},
		{name: "rs prefixed lines", in: "\x1e1\n\x1e\x1e2\n\x1e\n", want: []string{"1", "2"}},
		{name: "bad line then good", in: "1\n{oops\n3\n", want: []string{"1", "ERR:other", "3"}},
		{name: "long line skipped", in: "1\n[1,2,3,4,5,6,7,8,9]\n2\n", opts: ndjson.DecoderOptions{MaxLineBytes: 8}, want: []string{"1", "ERR:too-long", "2"}},
		{name: "line at the limit", in: "12345678\n1234567\r\n", opts: ndjson.DecoderOptions{MaxLineBytes: 8}, want: []string{"12345678", "1234567"}},
		{name: "last line one over the limit", in: "1\n123456789", opts: ndjson.DecoderOptions{MaxLineBytes: 8}, want: []string{"1", "ERR:too-long"}},
		{name: "long last line", in: "1\n[1,2,3,4,5,6,7,8,9]", opts: ndjson.DecoderOptions{MaxLineBytes: 8}, want: []string{"1", "ERR:too-long"}},
		{name: "long line far over the buffer", in: "1\n\"" + strings.Repeat("x", 20000) + "\"\n2\n", opts: ndjson.DecoderOptions{MaxLineBytes: 5000}, want: []string{"1", "ERR:too-long", "2"}},
		{name: "long line within a large limit", in: "\"" + strings.Repeat("y", 9000) + "\"\n", want: []string{`"` + strings.Repeat("y", 9000) + `"`}},
		{name: "json-seq", in: "\x1e1\n\x1e{\n \"a\": 2\n}\n\x1e\x1e\x1e\"x\"\n", opts: ndjson.DecoderOptions{Format: ndjson.JSONSeq}, want: []string{"1", `{"a":2}`, `"x"`}},
		{name: "json-seq bad element", in: "\x1e1\n\x1e{\n\x1e3\n", opts: ndjson.DecoderOptions{Format: ndjson.JSONSeq}, want: []string{"1", "ERR:other", "3"}},
		{name: "envelope", in: `{"result":1}` + "\n" + `{"heartbeat":true}` + "\n\n" + `{"result":null}` + "\n" + `{"end":true}` + "\n" + `{"result":9}` + "\n", opts: ndjson.DecoderOptions{Envelope: true}, want: []string{"1", "null"}},
		{name: "envelope error record", in: `{"result":1}` + "\n" + `{"error":{"message":"no"}}` + "\n" + `{"result":2}` + "\n", opts: ndjson.DecoderOptions{Envelope: true}, want: []string{"1", "ERR:remote:no"}},
		{name: "envelope truncated", in: `{"result":1}` + "\n" + `{"result":2}`, opts: ndjson.DecoderOptions{Envelope: true}, want: []string{"1", "2", "ERR:truncated"}},
		{name: "envelope unknown record", in: `{"result":1}` + "\n" + `{"other":1}` + "\n" + `{"end":true}`, opts: ndjson.DecoderOptions{Envelope: true}, want: []string{"1", "ERR:other"}},
		{name: "envelope json-seq", in: "\x1e" + `{"result":1}` + "\n\x1e" + `{"heartbeat":true}` + "\n\x1e\x1e" + `{"end":true}` + "\n", opts: ndjson.DecoderOptions{Envelope: true, Format: ndjson.JSONSeq}, want: []string{"1"}},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"byte at a time", iotest.OneByteReader},
		{"data with eof", iotest.DataErrReader},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				opts := tt.opts
				got := decodeAll(t, ndjson.NewDecoder(rd.wrap(strings.NewReader(tt.in)), &opts))
				if strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestDecoderReadError(t *testing.T) {
	tests := []struct {
		name string
		opts *ndjson.DecoderOptions
		want []string
	}{
		{"plain", nil, []string{"1", "ERR:boom"}},
		{"envelope", &ndjson.DecoderOptions{Envelope: true}, []string{"1", "ERR:truncated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"result":1}` + "\n"
			if tt.opts == nil {
				in = "1\n"
			}
			r := io.MultiReader(strings.NewReader(in), iotest.ErrReader(errBoom))
			d := ndjson.NewDecoder(r, tt.opts)
			got := decodeAll(t, d)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			var v any
			if err := d.Decode(&v); !errors.Is(err, errBoom) {
				t.Errorf("Decode after a read error = %v, want it again", err)
			}
		})
	}
}

func TestDecoderCustomUnmarshal(t *testing.T) {
	calls := 0
	d := ndjson.NewDecoder(strings.NewReader("a\nb\n"), &ndjson.DecoderOptions{
		Unmarshal: func(data []byte, v any) error {
			calls++
			*v.(*string) = strings.ToUpper(string(data))
			return nil
		},
	})
	var s string
	if err := d.Decode(&s); err != nil || s != "A" {
		t.Errorf("Decode = %q, %v; want A", s, err)
	}
	if err := d.Decode(&s); err != nil || s != "B" {
		t.Errorf("Decode = %q, %v; want B", s, err)
	}
	if calls != 2 {
		t.Errorf("Unmarshal called %d times, want 2", calls)
	}
}

func TestRecords(t *testing.T) {
	type point struct{ X, Y int }
	tests := []struct {
		name    string
		in      string
		opts    *ndjson.DecoderOptions
		stop    int // stop after this many values; 0 for never
		want    []point
		wantErr bool
	}{
		{name: "all", in: `{"X":1}` + "\n" + `{"Y":2}` + "\n", want: []point{{X: 1}, {Y: 2}}},
		{name: "stops at the first error", in: `{"X":1}` + "\n" + `[]` + "\n" + `{"X":3}` + "\n", want: []point{{X: 1}}, wantErr: true},
		{name: "break early", in: `{"X":1}` + "\n" + `{"X":2}` + "\n", stop: 1, want: []point{{X: 1}}},
		{name: "envelope truncated", in: `{"result":{"X":1}}`, opts: &ndjson.DecoderOptions{Envelope: true}, want: []point{{X: 1}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []point
			var gotErr error
			for p, err := range ndjson.Records[point](strings.NewReader(tt.in), tt.opts) {
				if err != nil {
					gotErr = err
					continue
				}
				got = append(got, p)
				if tt.stop > 0 && len(got) == tt.stop {
					break
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("record %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
			if (gotErr != nil) != tt.wantErr {
				t.Errorf("error = %v, want error %v", gotErr, tt.wantErr)
			}
		})
	}
}

func TestNewDecoderUnknownFormat(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("NewDecoder with an unknown format did not panic")
		}
	}()
	ndjson.NewDecoder(strings.NewReader(""), &ndjson.DecoderOptions{Format: -1})
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestDecoderNoProgress(t *testing.T) {
	var v any
	if err := ndjson.NewDecoder(zeroReader{}, nil).Decode(&v); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("Decode from a reader that returns nothing = %v, want io.ErrNoProgress", err)
	}
}
