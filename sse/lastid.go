package sse

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxLastEventIDLength is the longest Last-Event-ID, in bytes, that
// [LastEventID] accepts, and so the longest [Event.ID] that [AppendEvent]
// sends.
const MaxLastEventIDLength = 1024

// LastEventIDHeader is the request header in which a reconnecting browser
// sends the ID of the last event it received.
const LastEventIDHeader = "Last-Event-ID"

// LastEventIDQuery is the query parameter [LastEventID] reads when there is
// no usable Last-Event-ID header. A browser's EventSource cannot set headers
// on its first request, so a page that kept an ID (in storage, say) passes
// it here: new EventSource("/events?lastEventId=42").
const LastEventIDQuery = "lastEventId"

// LastEventID returns the ID the client of r wants to resume after: the
// Last-Event-ID header when it is usable, else the lastEventId query
// parameter when that is usable, else "". It only reads r, and may be
// called from any goroutine while the handler runs; a nil r gives "".
//
// A value is usable when it is not empty, at most [MaxLastEventIDLength]
// bytes, valid UTF-8 and free of CR, LF and NUL: exactly the IDs
// [AppendEvent] can send. Anything else is client input the server never
// issued, and is treated as absent, not as an error. A usable value is
// returned as is: IDs are opaque, so it is not trimmed or parsed.
//
// The query is parsed, with net/url's ParseQuery, only when the header is
// not usable. A query ParseQuery refuses (a bad percent-escape, a
// semicolon separator, more parameters than its limit of 10000) returns a
// non-nil error saying why, never a silent "": answer it with 400 Bad
// Request and a plain-text reason before streaming. For frameworks
// without an *http.Request, build one holding the header and the raw
// query.
func LastEventID(r *http.Request) (string, error) {
	if r == nil {
		return "", nil
	}
	if h := r.Header.Get(LastEventIDHeader); usableID(h) {
		return h, nil
	}
	if r.URL == nil || r.URL.RawQuery == "" {
		return "", nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", fmt.Errorf("sse: cannot read %s from a malformed query: %w", LastEventIDQuery, err)
	}
	if v := q.Get(LastEventIDQuery); usableID(v) {
		return v, nil
	}
	return "", nil
}

func usableID(s string) bool {
	if s == "" || len(s) > MaxLastEventIDLength {
		return false
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		return false
	}
	return utf8.ValidString(s)
}
