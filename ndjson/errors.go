package ndjson

import "errors"

// Errors of this package. They are returned wrapped; match them with
// errors.Is.
var (
	// ErrInvalidJSON reports that a Marshal function returned something
	// other than exactly one valid UTF-8 JSON value, so no record was
	// written.
	ErrInvalidJSON = errors.New("ndjson: invalid JSON")

	// ErrLineTooLong reports a record longer than
	// [DecoderOptions.MaxLineBytes]. The decoder skips it; the next call
	// reads the record after it.
	ErrLineTooLong = errors.New("ndjson: line too long")

	// ErrTruncated reports an envelope stream that ended, or failed,
	// before its end record: the connection was cut, so records may be
	// missing.
	ErrTruncated = errors.New("ndjson: stream truncated before its end record")
)

// RemoteError is the error a [Decoder] in envelope mode returns when it
// reads an error record, {"error":{"message":...}}: the server failed after
// it had started the response. It is the last record of the stream.
type RemoteError struct {
	// Message is the error record's message, as the server sent it.
	Message string `json:"message"`
}

// Error implements error.
func (e *RemoteError) Error() string { return "ndjson: server error: " + e.Message }
