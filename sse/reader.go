package sse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/streamkit/streamkit/internal/ssefast"
)

// Errors a [Reader] returns for a stream that exceeds its bounds. Both end
// the Reader: every later call returns the same error.
var (
	// ErrLineTooLong reports a line longer than
	// [ReaderOptions.MaxLineLength].
	ErrLineTooLong = errors.New("sse: line too long")

	// ErrEventTooLarge reports an event whose data passed
	// [ReaderOptions.MaxEventSize] before its blank line came.
	ErrEventTooLarge = errors.New("sse: event too large")
)

// Defaults of [ReaderOptions].
const (
	DefaultMaxLineLength = 1 << 20
	DefaultMaxEventSize  = 16 << 20
)

// Buffers past this size are released once they are empty, so that one big
// event does not pin its memory for the life of the Reader.
const (
	initialReadSize = 4 << 10
	keepBufferSize  = 64 << 10
)

// maxRetryMillis is the largest retry, in milliseconds, that fits a
// time.Duration; larger values saturate.
const maxRetryMillis = math.MaxInt64 / int64(time.Millisecond)

var bom = []byte("\uFEFF")

// ReaderOptions configures a [Reader]. The zero value, and a nil
// *ReaderOptions, mean the defaults.
type ReaderOptions struct {
	// MaxLineLength bounds a line, in bytes, without its line break; a
	// longer one fails with ErrLineTooLong. 0 means DefaultMaxLineLength
	// (1 MiB). The Reader's buffer never grows much past it.
	MaxLineLength int

	// MaxEventSize bounds the data of one event, in bytes as decoded
	// (line breaks included); more fails with ErrEventTooLarge. 0 means
	// DefaultMaxEventSize (16 MiB). Together with MaxLineLength it bounds
	// what a hostile stream can make the Reader hold.
	MaxEventSize int

	// LastEventID is the last event ID at the start of the stream: the ID
	// the client sent in Last-Event-ID when it reconnected, so that events
	// without an id field report it, as a browser's do.
	LastEventID string

	// OnComment, when set, is called with the text of each comment line,
	// without the colon and one leading space. It runs on the goroutine
	// calling Next. Heartbeats are empty comments.
	OnComment func(text string)
}

// ParsedEvent is an event as a browser's EventSource dispatches it.
type ParsedEvent struct {
	// ID is the last event ID when the event was dispatched: set by the
	// event's own id field, or kept from earlier events (or from
	// ReaderOptions.LastEventID) when it had none. It is what a browser
	// reports as lastEventId and sends back as Last-Event-ID.
	ID string
	// Type is the event name; "message" when the event set none.
	Type string
	// Data is the data lines joined by LF.
	Data string
	// Retry is the reconnection time set by a retry field of this event,
	// 0 when it had none (a "retry: 0" is 0 too; Reader.Retry tells them
	// apart).
	Retry time.Duration
	// IDSet reports whether the event had a valid id field of its own,
	// possibly empty (which resets the ID).
	IDSet bool
}

// RawEvent is a dispatched event as [Reader.NextRaw] returns it: the fields
// of a [ParsedEvent] with Data as bytes. Data aliases the Reader's buffer:
// it is valid until the next call of NextRaw or Next, and must not be
// kept past it (copy it to keep it). ID and Type are ordinary strings.
type RawEvent struct {
	// ID, Type, Retry and IDSet are as in ParsedEvent.
	ID    string
	Type  string
	Retry time.Duration
	IDSet bool
	// Data is the data lines joined by LF, without a final LF. It holds
	// no CR: CR ends a line in the stream.
	Data []byte

	// oneLine records that the Reader dispatched Data from a single data
	// line, so that it holds no LF either, and where: its address and
	// length, compared to Data's, never followed. See internal/ssefast.
	oneLine    bool
	oneLineAt  uintptr
	oneLineLen int
	// wire records that Data, not empty, lies in the Reader's buffer
	// between "data: " and "\n\n": the bytes around it are the event's
	// wire form as AppendEvent writes it for that data alone.
	wire bool
}

func init() {
	ssefast.AppendData = appendRawData
	ssefast.Wire = rawWire
	ssefast.Forget = func(ev any) { ev.(*RawEvent).oneLine = false }
}

func appendRawData(dst []byte, ev any) []byte { return ev.(*RawEvent).appendData(dst) }

func rawWire(ev any) []byte { return ev.(*RawEvent).wireForm() }

// vouched reports whether e's Data is still the single data line the
// Reader dispatched and has not been given up with Forget.
func (e *RawEvent) vouched() bool {
	return e.oneLine && len(e.Data) == e.oneLineLen && uintptr(unsafe.Pointer(unsafe.SliceData(e.Data))) == e.oneLineAt
}

// appendData appends a message event with e's Data, as AppendEvent does
// for an Event with that Data alone; without searching the data for line
// breaks when the Reader vouches that it holds none.
func (e *RawEvent) appendData(dst []byte) []byte {
	if e.vouched() {
		return appendOneLine(dst, bytesAsString(e.Data))
	}
	return appendEvent(dst, &Event{}, bytesAsString(e.Data), false)
}

// wireForm returns what appendData would append for e, when those bytes
// already lie in the Reader's buffer around Data (see RawEvent.wire);
// else nil. Like Data, it is valid until the Reader's next event.
func (e *RawEvent) wireForm() []byte {
	if !e.wire || !e.vouched() {
		return nil
	}
	// Data is not empty, so its pointer is where it starts in the
	// buffer, which the Reader found to hold "data: " before it and
	// "\n\n" after it.
	start := unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.Data)), -len("data: "))
	return unsafe.Slice((*byte)(start), len("data: ")+len(e.Data)+len("\n\n"))
}

// Reader parses an event stream the way the HTML standard tells browsers
// to: one leading byte order mark skipped; lines ended by CR, LF or CRLF;
// input decoded as UTF-8 with U+FFFD for invalid bytes; comments and unknown
// or miscapitalised fields ignored; one space after the colon stripped; a
// line without a colon taken as a field name with an empty value; an id
// containing NUL ignored; a retry of anything but ASCII digits ignored; an
// event with no data line not dispatched; and an event left without its
// blank line at the end of the stream discarded.
//
// Lines and events are bounded (see [ReaderOptions]), so a hostile upstream
// cannot make it hold unbounded memory. A line ending in CR is returned at
// once, without waiting to see whether an LF follows, so a live stream that
// uses CR line ends is never delayed.
//
// A Reader is not safe for concurrent use. It reads from the underlying
// reader only as far as the event it returns, plus what one Read call
// delivered.
type Reader struct {
	src       io.Reader
	maxLine   int
	maxEvent  int
	onComment func(string)

	buf    []byte
	r, w   int  // buf[r:w] is read but not yet parsed
	lf     int  // index in buf of the next LF at or after r; stale when < r
	cr     int  // index in buf of the next CR at or after r; stale when < r
	lfScan int  // buf[...:lfScan] has been searched for LF
	crScan int  // buf[...:crScan] has been searched for CR
	skipLF bool // the last line ended in CR: an LF right after it is part of it
	rerr   error
	begun  bool // the first line, which may start with a BOM, has been read
	err    error

	data []byte // data buffer
	// line is where the value of the event's only data line so far lies
	// in buf, buf[line.from:line.to], valid UTF-8 and not yet copied to
	// data: an event of one data line, the usual kind, is dispatched from
	// buf without a copy. fill copies it to data before it reuses buf; so
	// does a second data line. Offsets, not a slice, so that noting it
	// stores no pointer (a write barrier while the collector marks).
	line       struct{ from, to int }
	lineSet    bool // line holds a data line, possibly empty
	dataLines  int  // how many data lines the event has had
	raw        RawEvent
	typ        []byte // event type buffer
	lastType   string // typ as a string, kept to avoid an allocation per event
	idBuf      string // last event ID buffer
	lastID     string // last event ID string, as of the last dispatch
	retry      time.Duration
	retrySet   bool
	blockID    bool
	blockRetry time.Duration
}

// NewReader returns a Reader that parses the event stream read from r.
func NewReader(r io.Reader, opts *ReaderOptions) *Reader {
	var o ReaderOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxLineLength <= 0 {
		o.MaxLineLength = DefaultMaxLineLength
	}
	if o.MaxEventSize <= 0 {
		o.MaxEventSize = DefaultMaxEventSize
	}
	return &Reader{
		src:       r,
		maxLine:   o.MaxLineLength,
		maxEvent:  o.MaxEventSize,
		onComment: o.OnComment,
		lf:        -1,
		cr:        -1,
		idBuf:     o.LastEventID,
		lastID:    o.LastEventID,
	}
}

// Next returns the next dispatched event. At the end of the stream it
// returns io.EOF; an event still missing its blank line then is discarded,
// as browsers do. A read error is returned wrapped; [ErrLineTooLong] and
// [ErrEventTooLarge] report a stream past the Reader's bounds. After any
// error, Next keeps returning it.
func (r *Reader) Next() (ParsedEvent, error) {
	raw, err := r.NextRaw()
	if err != nil {
		return ParsedEvent{}, err
	}
	return ParsedEvent{
		ID:    raw.ID,
		Type:  raw.Type,
		Data:  string(raw.Data),
		Retry: raw.Retry,
		IDSet: raw.IDSet,
	}, nil
}

// NextRaw is Next without copying the event's data: the event it returns,
// and its Data, belong to the Reader and are valid until the next call of
// NextRaw or Next. A relay that forwards each event before reading the
// next one uses it to parse without allocating.
func (r *Reader) NextRaw() (*RawEvent, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.quickEvent() {
		return &r.raw, nil
	}
	for {
		line, err := r.readLine()
		if err != nil {
			r.fail(err)
			return nil, err
		}
		if !r.begun {
			r.begun = true
			line = bytes.TrimPrefix(line, bom)
		}
		if len(line) == 0 {
			if r.dispatch() {
				return &r.raw, nil
			}
			continue
		}
		if err := r.processLine(line); err != nil {
			r.fail(err)
			return nil, err
		}
		if !r.skipLF && r.r < r.w && r.buf[r.r] == '\n' {
			// The blank line that usually follows, already read: the
			// event ends without another call of readLine.
			r.r++
			if r.dispatch() {
				return &r.raw, nil
			}
		}
	}
}

// quickEvent dispatches the usual event, a single "data: " line followed
// by a blank line, when it lies whole in buf at r and no field of an event
// is pending: what readLine, processLine, addData and dispatch would do
// for it, without their general cases. It reports false, having changed
// nothing but what lineEnd remembers, for anything else, which NextRaw
// then parses the general way.
func (r *Reader) quickEvent() bool {
	const prefix = "data: "
	if !r.begun || r.skipLF || r.dataLines != 0 || r.blockID || r.blockRetry != 0 || len(r.typ) != 0 ||
		r.w-r.r <= len(prefix)+2 || string(r.buf[r.r:r.r+len(prefix)]) != prefix {
		return false
	}
	i := r.lineEnd()
	from, to := r.r+len(prefix), i
	if i < 0 || to <= from || to+1 >= r.w || r.buf[to] != '\n' || r.buf[to+1] != '\n' ||
		to-from+1 > r.maxEvent || !validText(r.buf[from:to]) {
		return false
	}
	r.r = to + 2
	// As dispatch does for an event whose block held this line alone: no
	// id or retry field, the type "message", and the line's bytes, with
	// the wire form around them, as Data.
	setString(&r.lastID, r.idBuf)
	setString(&r.raw.ID, r.lastID)
	setString(&r.raw.Type, "message")
	r.setData(r.buf[from:to:to], true, true)
	return true
}

// All returns an iterator over the remaining events. It ends at the end of
// the stream; on any other error it yields a zero ParsedEvent with the error
// once and ends. Breaking out of the loop leaves the Reader usable.
func (r *Reader) All() iter.Seq2[ParsedEvent, error] {
	return func(yield func(ParsedEvent, error) bool) {
		for {
			ev, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(ParsedEvent{}, err)
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// LastEventID returns the stream's last event ID as of the latest dispatch:
// what a browser would send in Last-Event-ID if it reconnected now. An id
// field of an event not yet dispatched does not count.
func (r *Reader) LastEventID() string { return r.lastID }

// Retry returns the reconnection time the stream last set with a valid
// retry field, and whether it set one, in a dispatched event or not.
func (r *Reader) Retry() (time.Duration, bool) { return r.retry, r.retrySet }

func (r *Reader) fail(err error) {
	r.err = err
	r.buf, r.data, r.typ, r.lineSet = nil, nil, nil, false
	r.raw.oneLine = false
	r.r, r.w = 0, 0
}

// processLine applies one non-empty line of an event.
func (r *Reader) processLine(line []byte) error {
	if line[0] == ':' {
		if r.onComment != nil {
			r.onComment(textString(trimSpace(line[1:])))
		}
		return nil
	}
	if len(line) >= len("data:") && string(line[:len("data:")]) == "data:" {
		// The usual line, tested first: its first colon is known.
		return r.addData(trimSpace(line[len("data:"):]))
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], trimSpace(line[i+1:])
	}
	switch string(name) {
	case "data":
		return r.addData(value)
	case "event":
		r.typ = appendText(r.typ[:0], value)
	case "id":
		if bytes.IndexByte(value, 0) >= 0 {
			return nil
		}
		r.blockID = true
		if string(value) != r.idBuf {
			r.idBuf = textString(value)
		}
	case "retry":
		if d, ok := parseRetry(value); ok {
			r.retry, r.retrySet, r.blockRetry = d, true, d
		}
	}
	return nil
}

// addData appends the value of a data line to the data buffer. The first
// data line of an event, when it is valid UTF-8, is only remembered where
// it lies in buf (see Reader.line); the data buffer holds the others.
// value is a slice of buf.
func (r *Reader) addData(value []byte) error {
	r.dataLines++
	if len(r.data) == 0 && !r.lineSet && validText(value) {
		if len(value)+1 > r.maxEvent {
			return ErrEventTooLarge
		}
		// value was sliced from buf without a capacity bound, so its
		// capacity tells where it starts.
		from := cap(r.buf) - cap(value)
		r.line.from, r.line.to, r.lineSet = from, from+len(value), true
		return nil
	}
	r.keepLine()
	r.data = append(appendText(r.data, value), '\n')
	if len(r.data) > r.maxEvent {
		return ErrEventTooLarge
	}
	return nil
}

// keepLine copies the data line that is still in buf, if any, to the data
// buffer, so that buf may be reused.
func (r *Reader) keepLine() {
	if r.lineSet {
		r.data = append(append(r.data, r.buf[r.line.from:r.line.to]...), '\n')
		r.lineSet = false
	}
}

// dispatch ends the current event at a blank line, leaving it in r.raw. It
// reports false, and leaves no event, when the data buffer is empty.
func (r *Reader) dispatch() bool {
	setString(&r.lastID, r.idBuf)
	var data []byte
	// One data line: whether its value is still in buf or was decoded or
	// copied into data, it holds no line break.
	oneLine := r.dataLines == 1
	wire := false
	switch {
	case r.lineSet:
		// The full slice expression makes an append to the event's Data
		// copy it instead of writing over the stream's next bytes.
		from, to := r.line.from, r.line.to
		data, r.lineSet = r.buf[from:to:to], false
		// "data: " before the value and LF, LF after it, as in the
		// usual stream: the event's wire form is in buf already.
		wire = to > from && from >= len("data: ") && to+2 <= r.w &&
			string(r.buf[from-len("data: "):from]) == "data: " && r.buf[to] == '\n' && r.buf[to+1] == '\n'
	case len(r.data) > 0:
		data = r.data[:len(r.data)-1]
	default:
		r.resetBlock()
		return false
	}
	typ := "message"
	if len(r.typ) > 0 {
		if string(r.typ) != r.lastType {
			r.lastType = string(r.typ)
		}
		typ = r.lastType
	}
	// Strings only when they changed (see setString).
	setString(&r.raw.ID, r.lastID)
	setString(&r.raw.Type, typ)
	r.setData(data, oneLine, wire)
	r.resetBlock()
	return true
}

// setData fills r.raw's Data, what it records of where Data came from, and
// the block's retry and whether it had an id field; the dispatching caller
// sets its ID and Type with setString. Field by field, not as a composite
// literal, which zeroes the struct first. Each pointer written to the
// Reader costs a write barrier while the collector marks.
func (r *Reader) setData(data []byte, oneLine, wire bool) {
	raw := &r.raw
	raw.Data = data
	raw.oneLine, raw.oneLineAt, raw.oneLineLen, raw.wire = oneLine, uintptr(unsafe.Pointer(unsafe.SliceData(data))), len(data), wire
	raw.Retry, raw.IDSet = r.blockRetry, r.blockID
}

// setString sets *dst to s unless it holds s already: the same bytes at the
// same address, the usual case for a stream's event ID and type.
func setString(dst *string, s string) {
	if len(*dst) != len(s) || unsafe.StringData(*dst) != unsafe.StringData(s) {
		*dst = s
	}
}

// resetBlock forgets the fields of the event just ended.
func (r *Reader) resetBlock() {
	if len(r.data) > 0 {
		r.data = reuse(r.data)
	}
	if len(r.typ) > 0 {
		r.typ = reuse(r.typ)
	}
	r.blockID, r.blockRetry, r.dataLines = false, 0, 0
}

// reuse empties b, dropping it if it has grown large.
func reuse(b []byte) []byte {
	if cap(b) > keepBufferSize {
		return nil
	}
	return b[:0]
}

func trimSpace(b []byte) []byte {
	if len(b) > 0 && b[0] == ' ' {
		return b[1:]
	}
	return b
}

// parseRetry reads a retry value: ASCII digits only, in milliseconds,
// saturating at the largest time.Duration.
func parseRetry(b []byte) (time.Duration, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var ms int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if ms <= maxRetryMillis {
			ms = ms*10 + int64(c-'0')
		}
	}
	if ms > maxRetryMillis {
		return math.MaxInt64, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// readLine returns the next complete line without its line break. The slice
// is valid until the next call. A last line without a line break is never
// returned: at the end of the stream it is dropped with io.EOF.
func (r *Reader) readLine() ([]byte, error) {
	for {
		if r.skipLF && r.r < r.w {
			r.skipLF = false
			if r.buf[r.r] == '\n' {
				r.r++
			}
		}
		if !r.skipLF {
			// The buffer holds at most maxLine+1 bytes, so a line break
			// found in it ends a line short enough, and a window without
			// one that is already longer than maxLine is too long.
			if i := r.lineEnd(); i >= 0 {
				line := r.buf[r.r:i]
				r.r = i + 1
				if r.buf[i] == '\r' {
					if r.r == r.w {
						r.skipLF = true
					} else if r.buf[r.r] == '\n' {
						r.r++
					}
				}
				return line, nil
			}
			if r.w-r.r > r.maxLine {
				return nil, ErrLineTooLong
			}
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// lineEnd returns the index of the CR or LF that ends the line starting at
// r, or -1 when buf[r:w] holds neither. It remembers where it found the
// next CR and the next LF, and how far it searched for each, so that each
// byte is searched once for each, however the stream mixes its line breaks
// and however it is split into reads. A stream without CR, the usual kind,
// thus costs one search for CR per read instead of one per line.
func (r *Reader) lineEnd() int {
	if r.r < r.w && r.buf[r.r] == '\n' {
		// A blank line, as between any two events: no search.
		return r.r
	}
	// A known CR or LF before r is stale; past the searched part there
	// may be more. Nothing left to search costs no call.
	if from := max(r.r, r.lfScan); r.lf < r.r && from < r.w {
		if i := bytes.IndexByte(r.buf[from:r.w], '\n'); i >= 0 {
			r.lf, r.lfScan = from+i, from+i
		} else {
			r.lfScan = r.w
		}
	}
	if from := max(r.r, r.crScan); r.cr < r.r && from < r.w {
		if i := bytes.IndexByte(r.buf[from:r.w], '\r'); i >= 0 {
			r.cr, r.crScan = from+i, from+i
		} else {
			r.crScan = r.w
		}
	}
	switch {
	case r.cr < r.r:
		if r.lf < r.r {
			return -1
		}
		return r.lf
	case r.lf < r.r:
		return r.cr
	}
	return min(r.cr, r.lf)
}

// fill reads more input after buf[r:w], making room first.
func (r *Reader) fill() error {
	if r.rerr != nil {
		return r.rerr
	}
	r.keepLine()
	switch {
	case r.r == r.w:
		// Nothing is pending: start over at the front, in a small buffer
		// if a big line had grown it.
		if len(r.buf) > keepBufferSize {
			r.buf = nil
		}
		r.r, r.w, r.lf, r.cr, r.lfScan, r.crScan = 0, 0, -1, -1, 0, 0
	case r.w == len(r.buf) && r.r > 0:
		// fill runs when buf[r:w] holds no line break, so there is no
		// known CR or LF to move along.
		n := copy(r.buf, r.buf[r.r:r.w])
		r.lf, r.cr = -1, -1
		r.lfScan = max(r.lfScan-r.r, 0)
		r.crScan = max(r.crScan-r.r, 0)
		r.r, r.w = 0, n
	}
	if r.buf == nil {
		r.buf = make([]byte, min(initialReadSize, r.maxLine+1))
	} else if r.w == len(r.buf) {
		// A line longer than the buffer: grow, up to the longest line
		// plus its line break.
		nb := make([]byte, min(2*len(r.buf), r.maxLine+1))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			r.rerr = errors.New("sse: read: invalid count from underlying reader")
			return r.rerr
		}
		r.w += n
		if err != nil {
			if err == io.EOF {
				r.rerr = io.EOF
			} else {
				r.rerr = fmt.Errorf("sse: read: %w", err)
			}
			if n > 0 {
				return nil
			}
			return r.rerr
		}
		if n > 0 {
			return nil
		}
	}
	r.rerr = fmt.Errorf("sse: read: %w", io.ErrNoProgress)
	return r.rerr
}

// appendText appends b decoded as UTF-8 the way browsers decode an event
// stream: each maximal invalid sequence becomes one U+FFFD. Valid input,
// the usual case, is appended as is.
func appendText(dst, b []byte) []byte {
	if validText(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			dst = append(dst, b[0])
			b = b[1:]
			continue
		}
		if c, size := utf8.DecodeRune(b); c != utf8.RuneError || size > 1 {
			dst = append(dst, b[:size]...)
			b = b[size:]
			continue
		}
		dst = append(dst, "\uFFFD"...)
		b = b[invalidPrefix(b):]
	}
	return dst
}

// validText is utf8.Valid, quicker on ASCII text: JSON as models stream
// it is mostly ASCII, and utf8.Valid takes its 8 bytes at a time with a
// branch each.
func validText(b []byte) bool {
	return isASCII(b) || utf8.Valid(b)
}

// isASCII reports whether b is all ASCII. It ORs 64 bytes at a time, read
// through an array pointer so that one bounds check covers the eight words,
// and tests the high bits once, ending with the last 8 bytes, which may
// overlap bytes already seen.
func isASCII(b []byte) bool {
	const high = 0x8080808080808080
	n := len(b)
	if n < 8 {
		var m byte
		for _, c := range b {
			m |= c
		}
		return m < utf8.RuneSelf
	}
	le := binary.LittleEndian
	m := le.Uint64(b[n-8:])
	for len(b) >= 64 {
		w := (*[64]byte)(b)
		m |= le.Uint64(w[0:]) | le.Uint64(w[8:]) | le.Uint64(w[16:]) | le.Uint64(w[24:]) |
			le.Uint64(w[32:]) | le.Uint64(w[40:]) | le.Uint64(w[48:]) | le.Uint64(w[56:])
		b = b[64:]
	}
	if len(b) >= 32 {
		w := (*[32]byte)(b)
		m |= le.Uint64(w[0:]) | le.Uint64(w[8:]) | le.Uint64(w[16:]) | le.Uint64(w[24:])
		b = b[32:]
	}
	for len(b) >= 8 {
		m |= le.Uint64(b)
		b = b[8:]
	}
	return m&high == 0
}

// textString returns b decoded as appendText does, as a string.
func textString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendText(nil, b))
}

// invalidPrefix returns the length of the maximal invalid sequence at the
// start of b, which does not begin with a valid character: the lead byte
// and the continuation bytes that could still have completed it, as the
// WHATWG UTF-8 decoder consumes them before reporting the error.
func invalidPrefix(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c >= 0xE0 && c <= 0xEF:
		need = 2
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	case c >= 0xF0 && c <= 0xF4:
		need = 3
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for n <= need && n < len(b) && b[n] >= lo && b[n] <= hi {
		n++
		lo, hi = 0x80, 0xBF
	}
	return n
}
