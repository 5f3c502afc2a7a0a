package sse

import "testing"

// plainOracle is plain's definition, byte by byte: every byte printable
// ASCII or a control character from 0x0E up.
func plainOracle(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x0E || s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestPlain checks plain at every length its word loads treat apart, with
// an unusual byte at every position.
func TestPlain(t *testing.T) {
	for n := 0; n <= 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		if !plain(string(b)) {
			t.Fatalf("plain(%q) = false", b)
		}
		for i := range b {
			for _, c := range []byte{0, '\t', '\n', '\r', 0x0D, 0x0E, 0x7F, 0x80, 0xC3, 0xFF} {
				old := b[i]
				b[i] = c
				if got, want := plain(string(b)), plainOracle(string(b)); got != want {
					t.Fatalf("plain(%q) = %v, want %v", b, got, want)
				}
				b[i] = old
			}
		}
	}
}

// FuzzPlain compares plain with its byte-by-byte definition.
func FuzzPlain(f *testing.F) {
	f.Add("update")
	f.Add("12345678\n")
	f.Add("é")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := plain(s), plainOracle(s); got != want {
			t.Fatalf("plain(%q) = %v, want %v", s, got, want)
		}
	})
}
