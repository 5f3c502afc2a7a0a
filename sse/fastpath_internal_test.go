package sse

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamkit/streamkit/internal/readtest"
)

// TestOneLineMarked checks which events the Reader vouches for as a single
// data line, so that the differential tests of the fast path are known to
// exercise it.
func TestOneLineMarked(t *testing.T) {
	tests := []struct {
		wire string
		want []bool // one data line
		raw  []bool // and its wire form in the read buffer, whole reads
	}{
		{"data: x\n\n", []bool{true}, []bool{true}},
		{"data:x\r\n\r\ndata: y\r\r", []bool{true, true}, []bool{false, false}},
		{"data\n\n", []bool{true}, []bool{false}},
		{"data: \n\n", []bool{true}, []bool{false}}, // empty: no wire form
		{"data:x\n\n", []bool{true}, []bool{false}},
		{"data:  two\n\n", []bool{true}, []bool{true}},
		{"data: a\ndata: b\n\n", []bool{false}, []bool{false}},
		{"data: \xff\n\n", []bool{true}, []bool{false}}, // decoded into the data buffer
		{"data: a\n\ndata: b\ndata: c\n\ndata: d\n\n", []bool{true, false, true}, []bool{true, false, true}},
		{"id: 1\nevent: e\ndata: x\n: c\n\n", []bool{true}, []bool{false}},
		{"id: 1\nevent: e\ndata: x\n\n", []bool{true}, []bool{true}},
		{"\uFEFFdata: x\n\n", []bool{true}, []bool{true}},
		{"data: x\r\n\n", []bool{true}, []bool{false}},
		{"data: " + strings.Repeat("x", 9000) + "\n\n", []bool{true}, []bool{true}},
	}
	for _, tc := range tests {
		for _, k := range []int{1, 3, len(tc.wire)} {
			rd := NewReader(readtest.Every([]byte(tc.wire), k), nil)
			for i, want := range tc.want {
				ev, err := rd.NextRaw()
				if err != nil {
					t.Fatalf("%q, reads of %d: event %d: %v", tc.wire, k, i, err)
				}
				if ev.oneLine != want {
					t.Errorf("%q, reads of %d: event %d oneLine = %v, want %v", tc.wire, k, i, ev.oneLine, want)
				}
				if k == len(tc.wire) && (ev.wireForm() != nil) != tc.raw[i] {
					t.Errorf("%q: event %d wire form %q, want one: %v", tc.wire, i, ev.wireForm(), tc.raw[i])
				}
			}
		}
	}
}

// TestValidText agrees with utf8.Valid for a non-ASCII byte, a valid
// sequence or an invalid one, at every position of texts of every length
// around isASCII's word and block sizes (8, 32 and 64 bytes).
func TestValidText(t *testing.T) {
	for n := range 200 {
		base := []byte(strings.Repeat("a", n))
		if got, want := validText(base), utf8.Valid(base); got != want || !isASCII(base) {
			t.Fatalf("%q: validText = %v, want %v", base, got, want)
		}
		for i := range n {
			for _, s := range []string{"\x80", "\xff", "é", "\xe2\x82"} {
				b := append(append(append([]byte(nil), base[:i]...), s...), base[i:]...)
				if got, want := validText(b), utf8.Valid(b); got != want {
					t.Fatalf("%q: validText = %v, want %v", b, got, want)
				}
				if isASCII(b) {
					t.Fatalf("%q: isASCII = true", b)
				}
			}
		}
	}
}

// FuzzValidText checks isASCII against a byte-by-byte test, and validText
// against utf8.Valid, on any input.
func FuzzValidText(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"token \"}}]}"))
	f.Add([]byte(strings.Repeat("a", 63) + "é" + strings.Repeat("b", 70)))
	f.Add([]byte("\xe2\x82"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ascii := true
		for _, c := range b {
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
		}
		if got := isASCII(b); got != ascii {
			t.Errorf("isASCII(%q) = %v, want %v", b, got, ascii)
		}
		if got, want := validText(b), utf8.Valid(b); got != want {
			t.Errorf("validText(%q) = %v, want %v", b, got, want)
		}
	})
}
