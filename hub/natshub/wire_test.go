package natshub

import (
	"strings"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
)

func TestEscapeType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"tick", "tick"},
		{" padded ", "%20padded%20"},
		{"100%", "100%25"},
		{"é", "%C3%A9"},
		{"a\tb", "a%09b"},
	}
	for _, tt := range tests {
		if got := escapeType(tt.in); got != tt.want {
			t.Errorf("escapeType(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if got := unescapeType(tt.want); got != tt.in {
			t.Errorf("unescapeType(%q) = %q; want %q", tt.want, got, tt.in)
		}
	}
	for _, v := range []string{"%", "%4", "%zz", "a%2", "50%off"} {
		if got := unescapeType(v); got != v {
			t.Errorf("unescapeType(%q) = %q; want it unchanged", v, got)
		}
	}
}

// The escaped type survives a header (no byte a reader trims or a line
// break) and comes back exactly.
func FuzzEscapeType(f *testing.F) {
	for _, s := range []string{"", "tick", " a ", "%", "%25", "é\x00\xff", "a\r\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := escapeType(s)
		for i := 0; i < len(e); i++ {
			if e[i] <= ' ' || e[i] > '~' {
				t.Fatalf("escapeType(%q) = %q holds byte %#x", s, e, e[i])
			}
		}
		if got := unescapeType(e); got != s {
			t.Fatalf("unescapeType(escapeType(%q)) = %q", s, got)
		}
		_ = unescapeType(s) // never panics on anything
	})
}

// Distinct topics get distinct stream names and subjects, without dots.
func FuzzEscapeTopic(f *testing.F) {
	f.Add("a.b", "a_-b")
	f.Add("a_b", "a__b")
	f.Add("_.", "._")
	f.Fuzz(func(t *testing.T, x, y string) {
		if !hub.ValidTopic(x) || !hub.ValidTopic(y) {
			return
		}
		ex, ey := escapeTopic(x), escapeTopic(y)
		if strings.ContainsAny(ex, ".*> ") {
			t.Fatalf("escapeTopic(%q) = %q", x, ex)
		}
		if (ex == ey) != (x == y) {
			t.Fatalf("escapeTopic(%q) = %q, escapeTopic(%q) = %q", x, ex, y, ey)
		}
	})
}

func TestEpochOf(t *testing.T) {
	created := time.Unix(1700000000, 123)
	tests := []struct{ desc, want string }{
		{describe("chat", "abc123"), "abc123"},
		{describe(`quote"d epoch=`, "xyz"), "xyz"},
		{"made by hand", "cwyvpelgpshn"},
		{"epoch=bad-one", "cwyvpelgpshn"},
		{"", "cwyvpelgpshn"},
	}
	for _, tt := range tests {
		if got := epochOf(tt.desc, created); got != tt.want {
			t.Errorf("epochOf(%q) = %q; want %q", tt.desc, got, tt.want)
		}
	}
}

// Whatever the description, the epoch is valid; the backend's own come
// back as they were.
func FuzzEpochOf(f *testing.F) {
	f.Add("streamkit hub topic \"chat\"; epoch=abc", "abc", int64(0))
	f.Add("epoch=", "x", int64(-1))
	f.Fuzz(func(t *testing.T, desc, epoch string, nanos int64) {
		if e := epochOf(desc, time.Unix(0, nanos)); !hub.ValidEpoch(e) {
			t.Fatalf("epochOf(%q, %d) = %q, not a valid epoch", desc, nanos, e)
		}
		if hub.ValidEpoch(epoch) {
			if e, ok := parseEpoch(describe(desc, epoch)); !ok || e != epoch {
				t.Fatalf("parseEpoch(describe(%q, %q)) = %q, %v", desc, epoch, e, ok)
			}
		}
	})
}

func TestParseAck(t *testing.T) {
	tests := []struct {
		name, status, data string
		seq                uint64
		code               int
		noStream           bool
	}{
		{"stored", "", `{"stream":"s","seq":7}`, 7, 0, false},
		{"duplicate", "", `{"stream":"s","seq":3,"duplicate":true}`, 3, 0, false},
		{"refused", "", `{"error":{"code":400,"err_code":10070,"description":"wrong last msg ID"}}`, 0, errCodeWrongLastMsgID, false},
		{"no stream", "503", "", 0, 0, true},
		{"other stream", "", `{"stream":"t","seq":7}`, 0, 0, false},
		{"no sequence", "", `{"stream":"s"}`, 0, 0, false},
		{"garbage", "", `{`, 0, 0, false},
		{"odd status", "408", "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seq, err := parseAck("s", tt.status, []byte(tt.data))
			if seq != tt.seq || (err == nil) != (tt.seq != 0) || errCode(err) != tt.code || (err == errNoStream) != tt.noStream {
				t.Errorf("parseAck = %d, %v; want %d, code %d, no stream %v", seq, err, tt.seq, tt.code, tt.noStream)
			}
		})
	}
}

// An answer is a sequence or an error, never both, and never a panic.
func FuzzParseAck(f *testing.F) {
	f.Add("", []byte(`{"stream":"s","seq":7}`))
	f.Add("", []byte(`{"error":{"code":400,"err_code":10070}}`))
	f.Add("503", []byte(nil))
	f.Fuzz(func(t *testing.T, status string, data []byte) {
		seq, err := parseAck("s", status, data)
		if (seq == 0) == (err == nil) {
			t.Fatalf("parseAck(%q, %q) = %d, %v", status, data, seq, err)
		}
	})
}
