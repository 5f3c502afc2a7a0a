package sse_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/sse"
)

func TestLastEventID(t *testing.T) {
	maxLen := strings.Repeat("x", sse.MaxLastEventIDLength)
	tests := []struct {
		name, header, query, want string
	}{
		{"neither", "", "", ""},
		{"header", "42", "", "42"},
		{"query", "", "7", "7"},
		{"header wins", "42", "7", "42"},
		{"opaque value kept as is", " a b ", "", " a b "},
		{"at the length limit", maxLen, "", maxLen},
		{"past the length limit", maxLen + "x", "", ""},
		{"too long header falls back to query", maxLen + "x", "7", "7"},
		{"NUL", "a\x00", "", ""},
		{"CR", "a\r", "", ""},
		{"LF", "\n", "", ""},
		{"invalid UTF-8", "\xff", "", ""},
		{"invalid header, invalid query", "\xff", "\x00", ""},
		{"unicode", "…", "", "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sse.LastEventID(tt.header, tt.query); got != tt.want {
				t.Errorf("LastEventID(%.20q, %.20q) = %.20q, want %.20q", tt.header, tt.query, got, tt.want)
			}
		})
	}
}

func TestLastEventIDFromRequestPartial(t *testing.T) {
	if got := sse.LastEventIDFromRequest(nil); got != "" {
		t.Errorf("LastEventIDFromRequest(nil) = %q, want empty", got)
	}
	r := &http.Request{Header: http.Header{}}
	if got := sse.LastEventIDFromRequest(r); got != "" {
		t.Errorf("request without URL or header: %q, want empty", got)
	}
	r.Header.Set("Last-Event-ID", "5")
	if got := sse.LastEventIDFromRequest(r); got != "5" {
		t.Errorf("request without URL: %q, want 5", got)
	}
}
