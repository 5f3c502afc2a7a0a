package ndjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// retainLimit is the largest buffer an [Encoder] or a pooled JSON encoder
// keeps for reuse; a larger one, grown for one big record, is dropped.
const retainLimit = 64 << 10

// Envelope records. A result wraps the value; the others are fixed.
const (
	resultPrefix  = `{"result":`
	errorPrefix   = `{"error":{"message":`
	endRecord     = `{"end":true}`
	heartbeatBody = `{"heartbeat":true}`
)

var errEnded = errors.New("ndjson: record after the end or error record")

// AppendRecord appends v to dst as one record of format f: a compact JSON
// value ended by LF, prefixed by RS for [JSONSeq]. The record never holds a
// raw line break, so a reader can split the stream on LF.
//
// A nil marshal encodes with encoding/json, without escaping <, > and &
// (the bytes are read by JSON parsers, never rendered as HTML; pass
// json.Marshal to get the escaping). Any other marshal's output is checked:
// it must be one valid JSON value in UTF-8, and line breaks between its
// tokens are removed. Output that is not, and a marshal error, give an error
// (matching [ErrInvalidJSON] in the first case) and dst unchanged.
//
// AppendRecord is safe for concurrent use; it allocates nothing beyond what
// marshal does and what growing dst takes.
func AppendRecord(dst []byte, v any, marshal func(any) ([]byte, error), f Format) ([]byte, error) {
	return appendRecord(dst, v, marshal, f, false)
}

// appendRecord appends one framed record holding v, wrapped as a result
// when envelope is set.
func appendRecord(dst []byte, v any, marshal func(any) ([]byte, error), f Format, envelope bool) ([]byte, error) {
	start := len(dst)
	if f == JSONSeq {
		dst = append(dst, rs)
	}
	if envelope {
		dst = append(dst, resultPrefix...)
	}
	dst, err := appendValue(dst, v, marshal)
	if err != nil {
		return dst[:start], err
	}
	if envelope {
		dst = append(dst, '}')
	}
	return append(dst, '\n'), nil
}

// appendFixed appends a fixed record body, framed for f.
func appendFixed(dst []byte, body string, f Format) []byte {
	if f == JSONSeq {
		dst = append(dst, rs)
	}
	dst = append(dst, body...)
	return append(dst, '\n')
}

// appendError appends an envelope error record carrying msg.
func appendError(dst []byte, msg string, f Format) []byte {
	if f == JSONSeq {
		dst = append(dst, rs)
	}
	dst = append(dst, errorPrefix...)
	dst, _ = appendStd(dst, msg) // a string always encodes
	dst = append(dst, "}}"...)
	return append(dst, '\n')
}

// appendHeartbeat appends what an idle stream sends: a blank line, a lone
// RS for JSON text sequences (RFC 7464 parsers ignore consecutive RS), or a
// heartbeat record in envelope mode.
func appendHeartbeat(dst []byte, f Format, envelope bool) []byte {
	switch {
	case envelope:
		return appendFixed(dst, heartbeatBody, f)
	case f == JSONSeq:
		return append(dst, rs)
	default:
		return append(dst, '\n')
	}
}

// appendValue appends v as one compact JSON value, without framing.
func appendValue(dst []byte, v any, marshal func(any) ([]byte, error)) ([]byte, error) {
	if marshal == nil {
		return appendStd(dst, v)
	}
	b, err := marshal(v)
	if err != nil {
		return dst, fmt.Errorf("ndjson: marshal: %w", err)
	}
	return appendChecked(dst, b)
}

// appendChecked appends b after checking that it is one JSON value in
// UTF-8, compacting it when it holds raw line breaks. In valid JSON a raw CR
// or LF can only be whitespace between tokens: inside strings they must be
// escaped.
func appendChecked(dst, b []byte) ([]byte, error) {
	if !utf8.Valid(b) {
		return dst, fmt.Errorf("%w: marshal output is not UTF-8", ErrInvalidJSON)
	}
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		if !json.Valid(b) {
			return dst, fmt.Errorf("%w: marshal output %s", ErrInvalidJSON, excerpt(b))
		}
		return append(dst, b...), nil
	}
	buf := bytes.NewBuffer(dst)
	if err := json.Compact(buf, b); err != nil {
		return dst, fmt.Errorf("%w: marshal output %s: %w", ErrInvalidJSON, excerpt(b), err)
	}
	return buf.Bytes(), nil
}

// excerpt quotes the start of b for an error message.
func excerpt(b []byte) string {
	const n = 32
	if len(b) > n {
		return fmt.Sprintf("%q...", b[:n])
	}
	return fmt.Sprintf("%q", b)
}

// stdEncoder is a json.Encoder that appends to a caller's slice, pooled so
// that encoding with encoding/json costs no allocation of its own.
type stdEncoder struct {
	w   sliceWriter
	enc *json.Encoder
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

var stdPool = sync.Pool{New: func() any {
	e := new(stdEncoder)
	e.enc = json.NewEncoder(&e.w)
	e.enc.SetEscapeHTML(false)
	return e
}}

// appendStd appends v encoded by encoding/json, without HTML escaping.
func appendStd(dst []byte, v any) ([]byte, error) {
	e := stdPool.Get().(*stdEncoder)
	e.w.b = dst
	err := e.enc.Encode(v)
	out := e.w.b
	e.w.b = nil
	stdPool.Put(e)
	if err != nil {
		return dst, fmt.Errorf("ndjson: %w", err)
	}
	// Drop the newline json.Encoder ends every value with; the caller frames.
	return out[:len(out)-1], nil
}

// EncoderOptions configures an [Encoder]. The zero value, and a nil
// *EncoderOptions, mean NDJSON records encoded by encoding/json, without an
// envelope.
type EncoderOptions struct {
	// Format chooses the framing; the zero value is [Lines].
	Format Format

	// Envelope wraps each value as {"result":...}, and enables
	// [Encoder.Error] and [Encoder.End]; see the package documentation.
	Envelope bool

	// Marshal encodes one value; nil means encoding/json without HTML
	// escaping. Its output is checked as [AppendRecord] describes.
	Marshal func(any) ([]byte, error)
}

// Encoder writes records to an io.Writer, one Write call per record, as
// json.Encoder writes values. It is not safe for concurrent use; for an HTTP
// response use a [Stream], which is.
type Encoder struct {
	w        io.Writer
	f        Format
	envelope bool
	marshal  func(any) ([]byte, error)
	buf      []byte
	ended    bool
}

// NewEncoder returns an Encoder writing to w. It panics if opts.Format is
// not one of the defined formats.
func NewEncoder(w io.Writer, opts *EncoderOptions) *Encoder {
	var o EncoderOptions
	if opts != nil {
		o = *opts
	}
	if !o.Format.valid() {
		panic(fmt.Sprintf("ndjson: unknown %v", o.Format))
	}
	return &Encoder{w: w, f: o.Format, envelope: o.Envelope, marshal: o.Marshal}
}

// Encode writes v as one record. When v cannot be encoded, nothing is
// written and the error says why; the Encoder stays usable. In envelope
// mode, Encode after [Encoder.End] or [Encoder.Error] fails.
func (e *Encoder) Encode(v any) error {
	if e.ended {
		return errEnded
	}
	b, err := appendRecord(e.buf[:0], v, e.marshal, e.f, e.envelope)
	if err != nil {
		return err
	}
	return e.write(b)
}

// Error writes the envelope error record {"error":{"message":...}} with
// err's message, which ends the envelope stream: no end record follows it.
// Without an envelope, Error writes nothing and returns nil. Error(nil) is
// End().
func (e *Encoder) Error(err error) error {
	if err == nil {
		return e.End()
	}
	if !e.envelope || e.ended {
		return nil
	}
	e.ended = true
	return e.write(appendError(e.buf[:0], err.Error(), e.f))
}

// End writes the envelope end record {"end":true}, which tells the reader
// that nothing is missing. Without an envelope, or once the stream has
// ended, End writes nothing and returns nil.
func (e *Encoder) End() error {
	if !e.envelope || e.ended {
		return nil
	}
	e.ended = true
	return e.write(appendFixed(e.buf[:0], endRecord, e.f))
}

func (e *Encoder) write(b []byte) error {
	if cap(b) <= retainLimit {
		e.buf = b
	} else {
		e.buf = nil
	}
	if _, err := e.w.Write(b); err != nil {
		return fmt.Errorf("ndjson: write: %w", err)
	}
	return nil
}
