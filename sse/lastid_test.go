package sse_test

import (
	"net/http"
	"net/url"
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
		{"query past the length limit", "", maxLen + "x", ""},
		{"NUL", "a\x00", "", ""},
		{"CR", "a\r", "", ""},
		{"LF", "\n", "", ""},
		{"invalid UTF-8", "\xff", "", ""},
		{"invalid header, invalid query", "\xff", "\x00", ""},
		{"query with CR", "", "a\rb", ""},
		{"unicode", "…", "", "…"},
		{"unicode query", "", "…", "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{Header: http.Header{}, URL: &url.URL{Path: "/"}}
			if tt.header != "" {
				r.Header.Set(sse.LastEventIDHeader, tt.header)
			}
			if tt.query != "" {
				r.URL.RawQuery = url.Values{sse.LastEventIDQuery: {tt.query}}.Encode()
			}
			got, err := sse.LastEventID(r)
			if err != nil {
				t.Fatalf("LastEventID: unexpected error %v", err)
			}
			if got != tt.want {
				t.Errorf("LastEventID(header %.20q, query %.20q) = %.20q, want %.20q", tt.header, tt.query, got, tt.want)
			}
		})
	}
}

// TestLastEventIDMalformedQuery: a query net/url refuses is an error the
// caller answers with 400, never a silent "".
func TestLastEventIDMalformedQuery(t *testing.T) {
	tests := []struct {
		name, header, rawQuery string
		wantErr                bool
		want                   string
	}{
		{"bad escape", "", "lastEventId=%zz", true, ""},
		{"bad escape elsewhere", "", "a=%zz&lastEventId=3", true, ""},
		{"semicolon", "", "a=1;b=2&lastEventId=3", true, ""},
		{"too many parameters", "", strings.Repeat("a=1&", 10000) + "lastEventId=3", true, ""},
		{"at the parameter limit", "", strings.Repeat("a=1&", 9999) + "lastEventId=3", false, "3"},
		{"usable header: the query is not read", "9", "lastEventId=%zz", false, "9"},
		{"unusable header: the query is read", "\xff", "lastEventId=%zz", true, ""},
		{"empty query", "", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{Header: http.Header{}, URL: &url.URL{Path: "/", RawQuery: tt.rawQuery}}
			if tt.header != "" {
				r.Header.Set(sse.LastEventIDHeader, tt.header)
			}
			got, err := sse.LastEventID(r)
			if (err != nil) != tt.wantErr {
				t.Fatalf("LastEventID error = %v, want error: %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("LastEventID = %q, want %q", got, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "sse: ") {
				t.Errorf("error %q lacks the sse: prefix", err)
			}
		})
	}
}

func TestLastEventIDPartialRequest(t *testing.T) {
	if got, err := sse.LastEventID(nil); got != "" || err != nil {
		t.Errorf("LastEventID(nil) = %q, %v; want empty, nil", got, err)
	}
	r := &http.Request{Header: http.Header{}}
	if got, err := sse.LastEventID(r); got != "" || err != nil {
		t.Errorf("request without URL or header: %q, %v; want empty, nil", got, err)
	}
	r.Header.Set("Last-Event-ID", "5")
	if got, err := sse.LastEventID(r); got != "5" || err != nil {
		t.Errorf("request without URL: %q, %v; want 5, nil", got, err)
	}
}
