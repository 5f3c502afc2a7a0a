package ndjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
)

// DefaultMaxLineBytes is the longest record a [Decoder] accepts when
// [DecoderOptions.MaxLineBytes] is zero.
const DefaultMaxLineBytes = 1 << 20

// DecoderOptions configures a [Decoder]. The zero value, and a nil
// *DecoderOptions, mean line-delimited records (NDJSON or JSON Lines)
// without an envelope, at most [DefaultMaxLineBytes] each, decoded by
// encoding/json.
type DecoderOptions struct {
	// Format chooses the framing to read. [Lines] and [JSONLines] split
	// records on LF. [JSONSeq] splits them on RS, as RFC 7464 says, so a
	// record may span lines.
	Format Format

	// Envelope reads the records [Stream] writes in envelope mode: see
	// [Decoder.Decode].
	Envelope bool

	// MaxLineBytes bounds one record, counting every byte between two
	// delimiters (a CR before the LF included); 0 means
	// [DefaultMaxLineBytes]. A longer record gives [ErrLineTooLong] and is
	// skipped. The decoder's buffer grows up to this size.
	MaxLineBytes int

	// Unmarshal decodes one record into v; nil means json.Unmarshal.
	Unmarshal func(data []byte, v any) error
}

// Decoder reads records from an io.Reader. It accepts LF and CRLF line
// ends and skips blank lines (empty, or only spaces, tabs and a CR), which
// is how NDJSON heartbeats read; RS bytes at the start of a line are removed,
// so JSON text sequences whose records are one line each read as NDJSON. In
// [JSONSeq] mode, records are split on RS and whitespace around them,
// including a lone RS heartbeat, is skipped. The last record needs no
// delimiter after it.
//
// A Decoder reads ahead and is not safe for concurrent use.
type Decoder struct {
	r         io.Reader
	buf       []byte
	start     int // next unread byte of buf
	end       int // end of the data in buf
	err       error
	max       int
	delim     byte
	seq       bool
	skipping  bool // discarding the rest of an over-long record
	n         int  // records read
	envelope  bool
	finished  error // set once an envelope stream's last record is read
	unmarshal func([]byte, any) error
}

// NewDecoder returns a Decoder reading from r. It panics if opts.Format is
// not one of the defined formats.
func NewDecoder(r io.Reader, opts *DecoderOptions) *Decoder {
	var o DecoderOptions
	if opts != nil {
		o = *opts
	}
	if !o.Format.valid() {
		panic(fmt.Sprintf("ndjson: unknown %v", o.Format))
	}
	d := &Decoder{r: r, max: o.MaxLineBytes, delim: '\n', envelope: o.Envelope, unmarshal: o.Unmarshal}
	if d.max <= 0 {
		d.max = DefaultMaxLineBytes
	}
	if o.Format == JSONSeq {
		d.seq, d.delim = true, rs
	}
	if d.unmarshal == nil {
		d.unmarshal = json.Unmarshal
	}
	return d
}

// Decode reads the next record into v, and returns io.EOF, unwrapped, when
// there are no more. Other errors are wrapped: a record that v cannot hold
// (the error wraps Unmarshal's and names the record's number) and
// [ErrLineTooLong] skip that record, and the next call reads on; an error
// of the underlying reader is returned by every later call.
//
// In envelope mode, Decode unwraps {"result":...} into v and skips
// heartbeat records. An error record gives a [*RemoteError]; the end record,
// and any call after the error record, gives io.EOF. Input that ends, or
// fails, before either gives an error matching [ErrTruncated].
func (d *Decoder) Decode(v any) error {
	if d.finished != nil {
		return d.finished
	}
	for {
		rec, err := d.next()
		if err != nil {
			if d.envelope && !errors.Is(err, ErrLineTooLong) {
				if err == io.EOF {
					return ErrTruncated
				}
				return fmt.Errorf("%w: %w", ErrTruncated, err)
			}
			return err
		}
		d.n++
		if !d.envelope {
			if err := d.unmarshal(rec, v); err != nil {
				return fmt.Errorf("ndjson: record %d: %w", d.n, err)
			}
			return nil
		}
		var env struct {
			Result    json.RawMessage `json:"result"`
			Error     *RemoteError    `json:"error"`
			End       bool            `json:"end"`
			Heartbeat bool            `json:"heartbeat"`
		}
		if err := json.Unmarshal(rec, &env); err != nil {
			return fmt.Errorf("ndjson: record %d: %w", d.n, err)
		}
		switch {
		case env.Result != nil:
			if err := d.unmarshal(env.Result, v); err != nil {
				return fmt.Errorf("ndjson: record %d: %w", d.n, err)
			}
			return nil
		case env.Error != nil:
			d.finished = io.EOF
			return env.Error
		case env.End:
			d.finished = io.EOF
			return io.EOF
		case env.Heartbeat:
			continue
		default:
			return fmt.Errorf("ndjson: record %d: not an envelope record: %s", d.n, excerpt(rec))
		}
	}
}

// next returns the next non-blank record, valid until the following call.
func (d *Decoder) next() ([]byte, error) {
	empty := 0
	for {
		if i := bytes.IndexByte(d.buf[d.start:d.end], d.delim); i >= 0 {
			rec := d.buf[d.start : d.start+i]
			d.start += i + 1
			if d.skipping {
				d.skipping = false
				continue
			}
			if rec = d.trim(rec); len(rec) > 0 {
				return rec, nil
			}
			continue
		}
		if d.err != nil {
			// The input ended: what is left is the last record.
			raw := d.buf[d.start:d.end]
			d.start = d.end
			skipped := d.skipping
			d.skipping = false
			if rec := d.trim(raw); len(rec) > 0 && !skipped {
				if len(raw) > d.max {
					return nil, fmt.Errorf("%w: record %d is over %d bytes", ErrLineTooLong, d.n+1, d.max)
				}
				return rec, nil
			}
			if d.err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("ndjson: read: %w", d.err)
		}
		if d.end-d.start > d.max {
			// Too long: drop what is buffered and the rest of the record.
			d.start, d.end = 0, 0
			if !d.skipping {
				d.skipping = true
				return nil, fmt.Errorf("%w: record %d is over %d bytes", ErrLineTooLong, d.n+1, d.max)
			}
		}
		if d.fill() > 0 {
			empty = 0
			continue
		}
		// Guard against a reader that keeps returning nothing.
		empty++
		if empty > 100 && d.err == nil {
			d.err = io.ErrNoProgress
		}
	}
}

// fill makes room in buf, reads once into it and returns the count read.
func (d *Decoder) fill() int {
	if d.start > 0 {
		d.end = copy(d.buf, d.buf[d.start:d.end])
		d.start = 0
	}
	if d.end == len(d.buf) {
		// Room for a record of max bytes and the delimiter after it.
		limit := d.max + 1
		size := min(max(2*len(d.buf), 4096), limit)
		if size <= len(d.buf) {
			// Cannot happen: a full buffer of limit bytes is over max and
			// was dropped before fill.
			size = len(d.buf) + 1
		}
		buf := make([]byte, size)
		copy(buf, d.buf[:d.end])
		d.buf = buf
	}
	n, err := d.r.Read(d.buf[d.end:])
	if n < 0 || n > len(d.buf)-d.end {
		n, err = 0, errors.New("ndjson: reader returned an invalid count")
	}
	d.end += n
	if err != nil {
		d.err = err
	}
	return n
}

// trim removes what surrounds a record: in line mode leading RS and
// trailing CR, spaces and tabs; in sequence mode all JSON whitespace.
func (d *Decoder) trim(rec []byte) []byte {
	if d.seq {
		return bytes.Trim(rec, " \t\r\n")
	}
	return bytes.TrimRight(bytes.TrimLeft(rec, "\x1e"), " \t\r")
}

// Records returns the records of r decoded as T, as a [Decoder] configured
// by opts reads them. The sequence stops after the last record, or after
// yielding the first error (with the zero T); io.EOF is not yielded, but
// in envelope mode a missing end record is, as [ErrTruncated], and an error
// record as a [*RemoteError]. It reads r as it goes and can be iterated
// once.
func Records[T any](r io.Reader, opts *DecoderOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		d := NewDecoder(r, opts)
		for {
			var v T
			err := d.Decode(&v)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(v, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}
