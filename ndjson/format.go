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
// The zero value is [Lines].
type Format int

const (
	// Lines is NDJSON, the default: each record is one compact JSON value
	// followed by LF, sent as application/x-ndjson ([ContentType]), the
	// newline-delimited JSON convention of ndjson.org (no RFC; the media
	// type is unregistered).
	Lines Format = iota

	// JSONLines frames records as [Lines] does, sent as application/jsonl
	// ([ContentTypeJSONL]), the JSON Lines convention of jsonlines.org (no
	// RFC; the media type is unregistered).
	JSONLines

	// JSONSeq prefixes each record with the record separator RS (0x1E) and
	// ends it with LF, sent as application/json-seq ([ContentTypeJSONSeq]):
	// JSON text sequences, RFC 7464.
	JSONSeq
)

// ContentType returns the media type of f, or "" for an unknown Format.
func (f Format) ContentType() string {
	switch f {
	case Lines:
		return ContentType
	case JSONLines:
		return ContentTypeJSONL
	case JSONSeq:
		return ContentTypeJSONSeq
	}
	return ""
}

// String returns the name of f: "ndjson", "jsonl" or "json-seq".
func (f Format) String() string {
	switch f {
	case Lines:
		return "ndjson"
	case JSONLines:
		return "jsonl"
	case JSONSeq:
		return "json-seq"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

func (f Format) valid() bool { return f >= Lines && f <= JSONSeq }
