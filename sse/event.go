package sse

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// ContentType is the Content-Type of an event stream. Browsers decode every
// event stream as UTF-8 whatever the charset parameter says; it is there for
// proxies and tools that look.
const ContentType = "text/event-stream; charset=utf-8"

// ErrInvalidField is wrapped by the error [AppendEvent] returns for a field
// the wire format cannot carry: a line break or NUL in [Event.ID] or
// [Event.Type], invalid UTF-8 in either, or an ID longer than
// [MaxLastEventIDLength]. The message names the field. Match it with
// errors.Is.
var ErrInvalidField = errors.New("sse: invalid field")

// ReconnectNow is the [Event.Retry] that sends "retry: 0", which tells the
// client to reconnect without waiting. A zero Retry sends no retry line at all.
const ReconnectNow time.Duration = -1

// Event is one Server-Sent Event. The zero value is a message event with
// empty data. Callers fill it and pass it to [AppendEvent] or [Stream.Send];
// neither retains or modifies it.
//
// Fields are written in this order: Comment, ID, Type, Retry, Data, then the
// blank line that ends the event. Which of them produce lines:
//
//   - Comment: one ": " line per line of text (split on CR, LF and CRLF);
//     none when empty. Browsers ignore comments.
//   - ID: an "id: " line when not empty. With ID empty and ResetID set, an
//     empty "id: " line, which resets the browser's last event ID. An event
//     without either leaves the browser's last event ID as it was.
//   - Type: an "event: " line when not empty; the browser dispatches the
//     event under that name instead of "message".
//   - Retry: a "retry: " line when positive.
//   - Data: one "data: " line per line (split on CR, LF and CRLF), so the
//     client sees the lines joined by LF: "a\r\nb" arrives as "a\nb".
//
// An event that carries only a Comment, a nonzero Retry and/or ResetID (no ID, no
// Type, no Data) is a control block: it gets no data line, and browsers
// dispatch nothing for it but still apply its retry and id. Every other
// event, the zero Event included, gets at least one data line, even for
// empty Data, so that it is dispatched: a browser drops an event whose data
// buffer is empty, and "event: ping" without a data line would never reach
// a listener.
type Event struct {
	// ID becomes the browser's last event ID, sent back in the
	// Last-Event-ID header when it reconnects. IDs are opaque strings; an
	// ID must be valid UTF-8 without CR, LF or NUL, and at most
	// MaxLastEventIDLength bytes so that it can come back. HTTP trims
	// spaces around header values, so an ID that starts or ends with a
	// space does not come back intact.
	ID string
	// Type is the event name (the "event:" field); empty means the
	// client's default, "message". Same rules as ID, without the length
	// limit.
	Type string
	// Data is the payload, any text: line breaks of any kind are allowed
	// and split into data lines. Browsers decode it as UTF-8, replacing
	// invalid bytes with U+FFFD, as [Reader] does.
	Data string
	// Retry asks the client to wait this long before reconnecting. It is
	// written when positive, rounded up to whole milliseconds, so that a
	// positive Retry never becomes 0. [ReconnectNow] (any negative value)
	// writes "retry: 0": reconnect at once.
	Retry time.Duration
	// Comment is sent as comment lines ahead of the fields.
	Comment string
	// ResetID, with ID empty, sends an empty id field, which resets the
	// browser's last event ID so that it sends no Last-Event-ID when it
	// reconnects. It is ignored when ID is set.
	ResetID bool
}

// fieldError is what AppendEvent returns for a field it refuses. The
// values are built once, so that refusing does not allocate either; each
// message ends in "invalid field" and reads as ErrInvalidField wrapped.
type fieldError struct{ msg string }

func (e *fieldError) Error() string { return e.msg }
func (e *fieldError) Unwrap() error { return ErrInvalidField }

const (
	fieldID = iota
	fieldType
)

const (
	problemLineBreak = iota
	problemNUL
	problemUTF8
	problemLength
)

var fieldErrors = func() (errs [2][4]error) {
	names := [2]string{"event id", "event type"}
	problems := [4]string{
		"contains a line break",
		"contains a NUL character",
		"is not valid UTF-8",
		"is longer than " + strconv.Itoa(MaxLastEventIDLength) + " bytes",
	}
	for f, name := range names {
		for p, problem := range problems {
			errs[f][p] = &fieldError{"sse: " + name + " " + problem + ": invalid field"}
		}
	}
	return errs
}()

var errNilEvent error = &fieldError{"sse: nil event: invalid field"}

// plain reports whether s is ASCII without a byte below 0x0E, so without
// CR, LF or NUL. A field with another of those bytes, a tab say, is fine
// but not plain: the caller then checks it byte by byte (checkUnusual).
// Fields are short and almost always plain, so plain looks at eight bytes
// at a time, with two overlapping loads for a tail or a short field, and
// with no table, whose memory a server busy with system calls would find
// gone cold.
func plain(s string) bool {
	n := len(s)
	if n < 8 {
		if n < 4 {
			if n == 0 {
				return true
			}
			// Each byte of a field this short is its first, its middle or
			// its last one; spaces fill the rest of the word.
			x := uint64(s[0]) | uint64(s[n/2])<<8 | uint64(s[n-1])<<16 | 0x2020202020<<24
			return marked(x) == 0
		}
		b := unsafe.Slice(unsafe.StringData(s), n)
		x := uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
		return marked(x) == 0
	}
	b := unsafe.Slice(unsafe.StringData(s), n)
	m := marked(binary.LittleEndian.Uint64(b[n-8:]))
	for i := 0; i+8 <= n; i += 8 {
		m |= marked(binary.LittleEndian.Uint64(b[i:]))
	}
	return m == 0
}

// marked returns x, eight bytes, with the high bit of a byte set where a
// byte is 0x80 or above or below 0x0E, and where another such byte below
// borrowed from it: nonzero exactly when one of the eight is.
func marked(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return ((x-0x0E*ones)&^x | x) & highs
}

// checkField reports why s cannot be sent as a single-line field.
func checkField(s string, field int) error {
	if !plain(s) {
		return checkUnusual(s, field)
	}
	if field == fieldID && len(s) > MaxLastEventIDLength {
		return fieldErrors[field][problemLength]
	}
	return nil
}

// checkUnusual is checkField for a field with a byte that is not plain
// ASCII text.
func checkUnusual(s string, field int) error {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\r', '\n':
			return fieldErrors[field][problemLineBreak]
		case 0:
			return fieldErrors[field][problemNUL]
		}
	}
	if !utf8.ValidString(s) {
		return fieldErrors[field][problemUTF8]
	}
	if field == fieldID && len(s) > MaxLastEventIDLength {
		return fieldErrors[field][problemLength]
	}
	return nil
}

func (e *Event) validate() error {
	if e == nil {
		return errNilEvent
	}
	if plain(e.ID) && plain(e.Type) && len(e.ID) <= MaxLastEventIDLength {
		return nil
	}
	if err := checkField(e.ID, fieldID); err != nil {
		return err
	}
	return checkField(e.Type, fieldType)
}

// AppendEvent appends the wire form of e to dst and returns the extended
// buffer, ending with the blank line that dispatches the event. See [Event]
// for which lines each field produces.
//
// If e cannot be sent (see [ErrInvalidField]), AppendEvent returns dst
// unchanged and an error that names the field; nothing is appended. It never
// writes a byte order mark and, on success, allocates only when dst must
// grow. It is safe to call from any goroutine; the hub uses it to encode an
// event once for many subscribers.
func AppendEvent(dst []byte, e *Event) ([]byte, error) {
	if err := e.validate(); err != nil {
		return dst, err
	}
	return appendEvent(dst, e, e.Data, false), nil
}

// AppendJSON appends an event whose data is v marshalled to JSON, with the
// other fields taken from e (which may be nil; e.Data is ignored). marshal
// nil means json.Marshal, whose output is compact. v is marshalled once;
// whatever line breaks a custom marshal emits (json.MarshalIndent, say) are
// split into data lines like any data, and JSON allows them between tokens,
// so the client still gets parseable JSON. The event is always dispatched,
// even when marshal returns no bytes.
//
// On an invalid field or a marshal error, AppendJSON returns dst unchanged
// and the error; an invalid field is reported before v is marshalled.
func AppendJSON[T any](dst []byte, e *Event, v T, marshal func(any) ([]byte, error)) ([]byte, error) {
	if e == nil {
		e = &Event{}
	}
	b, err := marshalData(e, v, marshal)
	if err != nil {
		return dst, err
	}
	return appendEvent(dst, e, bytesAsString(b), true), nil
}

// marshalData validates e and then marshals v.
func marshalData(e *Event, v any, marshal func(any) ([]byte, error)) ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	if marshal == nil {
		marshal = json.Marshal
	}
	b, err := marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sse: marshal data: %w", err)
	}
	return b, nil
}

// appendEvent writes a validated event with data in place of e.Data. With
// dispatch set, the event gets a data line even when it would otherwise be
// a control block.
func appendEvent(dst []byte, e *Event, data string, dispatch bool) []byte {
	control := false
	if len(data) == 0 && !dispatch {
		control = e.ID == "" && e.Type == "" && (e.Comment != "" || e.Retry != 0 || e.ResetID)
	}
	if e.Comment != "" {
		dst = appendLines(dst, ": ", e.Comment)
	}
	switch {
	case e.ID != "":
		dst = append(dst, "id: "...)
		dst = append(dst, e.ID...)
		dst = append(dst, '\n')
	case e.ResetID:
		dst = append(dst, "id: \n"...)
	}
	if e.Type != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, e.Type...)
		dst = append(dst, '\n')
	}
	if e.Retry != 0 {
		dst = appendRetry(dst, e.Retry)
	}
	if control {
		return append(dst, '\n')
	}
	if strings.IndexByte(data, '\n') < 0 && strings.IndexByte(data, '\r') < 0 {
		return appendOneLine(dst, data)
	}
	return append(appendLines(dst, "data: ", data), '\n')
}

// appendOneLine appends data, which holds no CR or LF, as the only data
// line of an event and ends the event: the common case, its line break and
// the blank line in one append.
func appendOneLine(dst []byte, data string) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, data...)
	return append(dst, "\n\n"...)
}

// appendRetry appends a retry line, d rounded up to whole milliseconds; a
// negative d gives 0.
func appendRetry(dst []byte, d time.Duration) []byte {
	d = max(d, 0)
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	dst = append(dst, "retry: "...)
	dst = strconv.AppendInt(dst, ms, 10)
	return append(dst, '\n')
}

// appendComment appends a comment block: text as comment lines and the
// blank line. Empty text gives one empty comment.
func appendComment(dst []byte, text string) []byte {
	return append(appendLines(dst, ": ", text), '\n')
}

// appendLines appends prefix+line+"\n" for each line of s, splitting on CR,
// LF and CRLF (one break). Empty s, and a trailing break, give an empty
// last line. It keeps the position of the next CR and of the next LF so
// that each byte is searched once, however the breaks are mixed.
func appendLines(dst []byte, prefix, s string) []byte {
	n := len(s)
	cr, lf := indexFrom(s, 0, '\r'), indexFrom(s, 0, '\n')
	if cr == n && lf == n {
		// The common case, one line: no loop.
		dst = append(dst, prefix...)
		dst = append(dst, s...)
		return append(dst, '\n')
	}
	start := 0
	for {
		if cr < start {
			cr = indexFrom(s, start, '\r')
		}
		if lf < start {
			lf = indexFrom(s, start, '\n')
		}
		end := min(cr, lf)
		dst = append(dst, prefix...)
		dst = append(dst, s[start:end]...)
		dst = append(dst, '\n')
		if end == n {
			return dst
		}
		start = end + 1
		if s[end] == '\r' && start < n && s[start] == '\n' {
			start++
		}
	}
}

// indexFrom returns the index of the first c in s at or after from, or
// len(s) when there is none.
func indexFrom(s string, from int, c byte) int {
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return len(s)
}

// bytesAsString views b as a string without copying. The encoders use it
// for marshalled JSON that they own and do not modify while the string is
// in use, so that one line splitter serves strings and bytes alike.
func bytesAsString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
