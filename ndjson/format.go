package ndjson

import "strconv"

// Media types of the three line-delimited JSON formats. None of the first two
// is registered with IANA; application/json-seq is (RFC 7464).
const (
	// ContentType is the media type of NDJSON, the default format.
	ContentType = "application/x-ndjson"
	// ContentTypeJSONL is the media type of JSON Lines.
	ContentTypeJSONL = "application/jsonl"
	// ContentTypeJSONSeq is the media type of RFC 7464 JSON text sequences.
	ContentTypeJSONSeq = "application/json-seq"
)

// rs is the record separator that starts every record of a JSON text
// sequence (RFC 7464).
const rs = 0x1E

// Format chooses the framing of records and the Content-Type sent with them.
// The zero value is [NDJSON].
type Format int

const (
	// NDJSON frames each record as one compact JSON value followed by LF,
	// sent as application/x-ndjson.
	NDJSON Format = iota
	// JSONL frames records as NDJSON does, sent as application/jsonl.
	JSONL
	// JSONSeq prefixes each record with the record separator RS (0x1E) and
	// ends it with LF, sent as application/json-seq (RFC 7464).
	JSONSeq
)

// ContentType returns the media type of f, or "" for an unknown Format.
func (f Format) ContentType() string {
	switch f {
	case NDJSON:
		return ContentType
	case JSONL:
		return ContentTypeJSONL
	case JSONSeq:
		return ContentTypeJSONSeq
	}
	return ""
}

// String returns the name of f: "ndjson", "jsonl" or "json-seq".
func (f Format) String() string {
	switch f {
	case NDJSON:
		return "ndjson"
	case JSONL:
		return "jsonl"
	case JSONSeq:
		return "json-seq"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

func (f Format) valid() bool { return f >= NDJSON && f <= JSONSeq }
