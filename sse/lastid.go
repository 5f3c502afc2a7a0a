package sse

import (
	"net/http"
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

// LastEventIDQuery is the query parameter [LastEventIDFromRequest] reads
// when there is no Last-Event-ID header. A browser's EventSource cannot set
// headers on its first request, so a page that kept an ID (in storage, say)
// passes it here: new EventSource("/events?lastEventId=42").
const LastEventIDQuery = "lastEventId"

// LastEventID returns the ID a client wants to resume after: header, the
// raw value of the Last-Event-ID header, when it is usable, else query, the
// decoded value of the lastEventId query parameter, when that is usable,
// else "". Frameworks pass their own raw values; net/http callers use
// [LastEventIDFromRequest].
//
// A value is usable when it is not empty, at most [MaxLastEventIDLength]
// bytes, valid UTF-8 and free of CR, LF and NUL: exactly the IDs
// [AppendEvent] can send. Anything else is client input the server never
// issued, and is treated as absent rather than as an error. The value is
// otherwise returned as is: IDs are opaque, so it is not trimmed or parsed.
func LastEventID(header, query string) string {
	if usableID(header) {
		return header
	}
	if usableID(query) {
		return query
	}
	return ""
}

// LastEventIDFromRequest is [LastEventID] for a net/http request (and so
// for gin and echo): the Last-Event-ID header, else the lastEventId query
// parameter, else "". The query is parsed only when the header is absent or
// unusable. A nil request gives "".
func LastEventIDFromRequest(r *http.Request) string {
	if r == nil {
		return ""
	}
	if h := r.Header.Get(LastEventIDHeader); usableID(h) {
		return h
	}
	if r.URL == nil {
		return ""
	}
	return LastEventID("", r.URL.Query().Get(LastEventIDQuery))
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
