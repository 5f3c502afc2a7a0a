package chunked

import (
	"fmt"
	"io"
	"sync"
)

// bufferSize is the size of the pooled buffers [Copy] reads
// through.
const bufferSize = 32 << 10

var bufPool = sync.Pool{New: func() any { return new([bufferSize]byte) }}

// CopyOptions configures [Copy]. The zero value, and a nil *CopyOptions,
// mean an unknown total and no progress reports.
type CopyOptions struct {
	// Total is the number of bytes expected, passed on to Progress; 0 or
	// less means unknown, reported as -1. It does not limit the copy.
	Total int64

	// Progress, when set, is called after every chunk is written with the
	// bytes written so far and the total. It runs on the copying
	// goroutine, so it should be quick; it may publish the figures
	// elsewhere, such as to a hub topic.
	Progress func(written, total int64)
}

// Copy sends everything r yields to s, in chunks of up to 32 KiB read
// through a pooled buffer, so memory stays constant for a body of any
// size. Each chunk goes through [Stream.Write]: with the default flush
// policy it is written through and flushed at once, and write deadlines
// apply to it. What a coalescing policy buffers is flushed before Copy
// returns.
//
// Copy returns the number of bytes written and nil once r reports io.EOF.
// It checks whether the stream has ended before every read and then stops
// with the stream's cause (see [Stream.Err]), such as
// [core.ErrClientGone]; it returns a failed write's error, and r's errors
// wrapped. A read that blocks cannot be interrupted from here: use a
// reader bound to [Stream.Context] when r may wait a long time. Copy does
// not close s.
func Copy(s *Stream, r io.Reader, opts *CopyOptions) (int64, error) {
	var o CopyOptions
	if opts != nil {
		o = *opts
	}
	total := o.Total
	if total <= 0 {
		total = -1
	}
	buf := bufPool.Get().(*[bufferSize]byte)
	defer bufPool.Put(buf)
	done := s.Context().Done()
	var written int64
	for {
		select {
		case <-done:
			return written, s.Err()
		default:
		}
		n, rerr := r.Read(buf[:])
		if n > 0 {
			if _, err := s.Write(buf[:n]); err != nil {
				return written, err
			}
			written += int64(n)
			if o.Progress != nil {
				o.Progress(written, total)
			}
		}
		if rerr == io.EOF {
			if s.coalescing {
				return written, s.Flush()
			}
			return written, nil
		}
		if rerr != nil {
			return written, fmt.Errorf("chunked: read: %w", rerr)
		}
	}
}
