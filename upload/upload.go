package upload

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"sync"
	"time"
)

// DefaultMaxBytes is the limit on a request body when [Options.MaxBytes]
// is zero: 1 GiB.
const DefaultMaxBytes = 1 << 30

// bufferSize is the size of the pooled buffers [Body.WriteTo] copies
// through.
const bufferSize = 32 << 10

var bufPool = sync.Pool{New: func() any { return new([bufferSize]byte) }}

// maxSkippedParts bounds how many form fields may come before the file.
const maxSkippedParts = 1000

// Errors of uploads. They are returned wrapped; match them with errors.Is,
// or map them to a status with [Status].
var (
	// ErrTooLarge reports a request body over [Options.MaxBytes]:
	// refused from its Content-Length before anything is read, or found
	// while reading, whatever the Content-Length said. Status 413.
	ErrTooLarge = errors.New("upload: too large")

	// ErrMalformed reports a multipart/form-data body that cannot be
	// parsed: no boundary, broken part headers, or a body that ends before
	// its closing boundary. Status 400.
	ErrMalformed = errors.New("upload: malformed multipart body")

	// ErrNoFile reports a multipart/form-data body without the file part
	// that was asked for. Status 400.
	ErrNoFile = errors.New("upload: no file part in multipart body")

	// ErrTooSlow reports a body that arrived slower than
	// [Options.ReadIdleTimeout] and [Options.MinRate] allow: the client
	// sent nothing for the idle timeout, or fell below the minimum rate
	// once the grace period was over. Status 408.
	ErrTooSlow = errors.New("upload: request body too slow")
)

// Options configures [Read] and [ReadFrom]. The zero value, and a nil
// *Options, mean a limit of [DefaultMaxBytes], the first file part of a
// multipart body, and no progress reports.
type Options struct {
	// MaxBytes limits the request body, counting every byte read from it
	// (for a multipart body, form fields and boundaries included); 0 means
	// [DefaultMaxBytes] and a negative value means no limit. A declared
	// Content-Length over it is refused before reading; a body that turns
	// out longer, whatever its Content-Length said, fails when the limit
	// is passed. Either way the error matches [ErrTooLarge].
	MaxBytes int64

	// Field picks the multipart part whose form name it is, file or not;
	// "" means the first part with a filename.
	Field string

	// Progress, when set, is called after every read from the body with
	// the bytes read so far and the declared length (-1 when unknown).
	// It counts body bytes, multipart framing included, so read reaches
	// total when the whole body is in. It runs on the reading goroutine.
	Progress func(read, total int64)

	// ReadIdleTimeout, when positive, bounds how long the body may send
	// nothing: a read that waits longer fails with an error matching
	// [ErrTooSlow]. It is also the grace period of MinRate. 0 means no
	// bound beyond the server's own (net/http's ReadTimeout, hertz's
	// WithReadTimeout), which for a large upload is usually none.
	ReadIdleTimeout time.Duration

	// MinRate, when positive, is the lowest average rate in bytes per
	// second the body may arrive at, counted from the first read, after a
	// grace period of ReadIdleTimeout (which it needs): by time t the body
	// must have sent MinRate*(t-start-ReadIdleTimeout) bytes. It ends a
	// client that trickles a byte at a time, which the idle bound alone
	// never does. The error matches [ErrTooSlow].
	MinRate int64

	// SetReadDeadline sets the read deadline of the connection the body
	// arrives on; the bounds above use it to interrupt a read that waits
	// too long. On net/http pass http.NewResponseController(w).SetReadDeadline;
	// the streamgin, streamecho and streamhertz Upload helpers fill it in.
	// Without it a read is not interrupted: a stalled body is noticed only
	// when its next bytes arrive, or when the server's own timeout ends
	// the read. The deadline is cleared when the body ends, so that it
	// does not cut a response that follows; it replaces the server's
	// ReadTimeout for the rest of the request.
	SetReadDeadline func(time.Time) error
}

// Body is the content of an uploaded request body, read as it arrives:
// the body itself, or the file part of a multipart/form-data body. It is
// an io.Reader, and an io.WriterTo that copies through a pooled buffer, so
// io.Copy(dst, b) runs in constant memory.
//
// Read errors are classified: they match [ErrTooLarge], [ErrMalformed],
// io.ErrUnexpectedEOF for a body cut short, or wrap the body's own error;
// [Status] maps them to a status. A Body is not safe for concurrent use.
type Body struct {
	// Filename is the file part's filename, without any directory; "" for
	// a raw body. It comes from the client: never use it as a path as is.
	Filename string

	// FieldName is the file part's form field name; "" for a raw body.
	FieldName string

	// ContentType is the file part's Content-Type, or for a raw body the
	// request's; "" when the client sent none.
	ContentType string

	// Total is the declared length of the request body, -1 when unknown.
	Total int64

	body *bodyReader
	r    io.Reader
}

// Read starts reading the upload of a net/http request (gin and echo hand
// one out too), as [ReadFrom] does with r.Body and its Content-Type and
// Content-Length headers. Call it from the handler's goroutine, which must
// read the Body before it returns. Read the body to its end before
// streaming a response: until then net/http does not notice a client that
// leaves.
func Read(r *http.Request, opts *Options) (*Body, error) {
	return ReadFrom(r.Body, r.Header.Get("Content-Type"), r.ContentLength, opts)
}

// ReadFrom starts reading an upload from a request body, in constant
// memory whatever its size. contentType is the request's Content-Type
// header and contentLength its declared length, negative when unknown
// (chunked).
//
// For a multipart/form-data body, ReadFrom reads up to the file part (see
// [Options.Field]) and returns a Body reading that part's content; fields
// before it are read and discarded, parts after it are not read. It
// streams the body through mime/multipart's reader and never buffers the
// form the way ParseMultipartForm does. Any other body is the upload
// itself.
//
// It fails with an error matching [ErrTooLarge] when contentLength is over
// the limit (nothing is read) or the body grows past it, [ErrMalformed]
// for a multipart body it cannot parse, and [ErrNoFile] when there is no
// file part; [Status] gives the status to answer with.
//
// For hertz, enable server.WithStreamBody(true) and pass
// ctx.RequestBodyStream() (or use streamhertz.Upload); otherwise hertz has
// read the whole body into memory before the handler runs.
func ReadFrom(body io.Reader, contentType string, contentLength int64, opts *Options) (*Body, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	limit := o.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBytes
	}
	total := contentLength
	if total < 0 {
		total = -1
	}
	if limit > 0 && total > limit {
		return nil, fmt.Errorf("%w: Content-Length %d is over the limit of %d bytes", ErrTooLarge, total, limit)
	}
	if body == nil {
		body = http.NoBody
	}
	br := &bodyReader{r: body, limit: limit, total: total, progress: o.Progress}
	if o.ReadIdleTimeout > 0 {
		br.pace = &pace{idle: o.ReadIdleTimeout, rate: o.MinRate, set: o.SetReadDeadline}
	}
	u := &Body{ContentType: contentType, Total: total, body: br, r: br}

	mediaType, params, err := mime.ParseMediaType(contentType)
	if mediaType != "multipart/form-data" {
		return u, nil
	}
	boundary := params["boundary"]
	if err != nil || boundary == "" {
		return nil, fmt.Errorf("%w: Content-Type %q has no usable boundary", ErrMalformed, contentType)
	}
	mr := multipart.NewReader(br, boundary)
	for skipped := 0; ; skipped++ {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			if br.err != nil {
				return nil, br.err
			}
			return nil, noFile(o.Field)
		}
		if err != nil {
			return nil, br.classify(err)
		}
		if (o.Field != "" && part.FormName() == o.Field) || (o.Field == "" && part.FileName() != "") {
			u.Filename = part.FileName()
			u.FieldName = part.FormName()
			u.ContentType = part.Header.Get("Content-Type")
			u.r = part
			return u, nil
		}
		if skipped == maxSkippedParts {
			return nil, fmt.Errorf("%w: over %d parts before the file", ErrMalformed, maxSkippedParts)
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return nil, br.classify(err)
		}
	}
}

func noFile(field string) error {
	if field != "" {
		return fmt.Errorf("%w: no field %q", ErrNoFile, field)
	}
	return ErrNoFile
}

// Read reads the upload's content.
func (u *Body) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err != nil && err != io.EOF {
		err = u.body.classify(err)
	}
	if err == io.EOF && u.body.pace != nil {
		u.body.pace.disarm() // a file part may end before the body does
	}
	return n, err
}

// WriteTo copies the rest of the upload to w through a pooled 32 KiB
// buffer, and returns the number of bytes written. io.Copy uses it.
func (u *Body) WriteTo(w io.Writer) (int64, error) {
	buf := bufPool.Get().(*[bufferSize]byte)
	defer bufPool.Put(buf)
	var written int64
	for {
		n, rerr := u.Read(buf[:])
		if n > 0 {
			m, err := w.Write(buf[:n])
			written += int64(m)
			if err == nil && m < n {
				err = io.ErrShortWrite
			}
			if err != nil {
				return written, fmt.Errorf("upload: write: %w", err)
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
}

// Status returns the HTTP status that fits an error of this package: 200
// for nil; 413 Content Too Large for [ErrTooLarge]
// (and http.MaxBytesReader's error); 408 Request Timeout for [ErrTooSlow];
// 400 Bad Request for [ErrMalformed],
// [ErrNoFile] and a body cut short (io.ErrUnexpectedEOF); 500 for anything
// else, such as a failing destination.
func Status(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrTooLarge), errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrTooSlow):
		return http.StatusRequestTimeout
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrNoFile), errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

// bodyReader counts the bytes read from a request body, enforces the limit
// and reports progress. It remembers the first failure, so that an error
// that comes back through mime/multipart can be told from a parse error.
type bodyReader struct {
	r        io.Reader
	read     int64
	limit    int64 // negative for none
	total    int64
	progress func(read, total int64)
	pace     *pace // nil without a rate bound
	err      error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.pace != nil {
		return b.pace.read(b, p)
	}
	return b.readLimited(p)
}

func (b *bodyReader) readLimited(p []byte) (int, error) {
	if b.limit >= 0 {
		// Read at most one byte past the limit: enough to know it was
		// passed, whatever the declared length said.
		if left := b.limit - b.read + 1; int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	if b.limit >= 0 && b.read > b.limit {
		n -= int(b.read - b.limit)
		b.read = b.limit
		b.err = fmt.Errorf("%w: body is over the limit of %d bytes", ErrTooLarge, b.limit)
		return n, b.err
	}
	if n > 0 && b.progress != nil {
		b.progress(b.read, b.total)
	}
	if err != nil && err != io.EOF {
		b.err = fmt.Errorf("upload: read body: %w", err)
		return n, b.err
	}
	return n, err
}

// pace enforces Options.ReadIdleTimeout and Options.MinRate: before each
// read it sets the deadline by which the read must return, and a read that
// comes back after it, with bytes or with the transport's timeout error,
// fails the body with ErrTooSlow.
type pace struct {
	idle  time.Duration
	rate  int64
	set   func(time.Time) error
	start time.Time
	armed bool // a deadline is set on the connection
}

// deadline is when the read that starts at now must have returned, after
// read bytes: the idle bound, tightened by the minimum rate.
func (p *pace) deadline(now time.Time, read int64) time.Time {
	d := now.Add(p.idle)
	if p.rate > 0 {
		// Bytes sent buy time at the minimum rate, after the grace period;
		// float seconds keep a huge read from overflowing a Duration.
		credit := time.Duration(float64(read) / float64(p.rate) * float64(time.Second))
		if credit >= 0 && credit < d.Sub(p.start) {
			if byRate := p.start.Add(p.idle + credit); byRate.Before(d) {
				d = byRate
			}
		}
	}
	return d
}

func (p *pace) read(b *bodyReader, buf []byte) (int, error) {
	now := time.Now()
	if p.start.IsZero() {
		p.start = now
	}
	d := p.deadline(now, b.read)
	if !now.Before(d) {
		b.err = p.slow(b.read)
		return 0, b.err
	}
	if p.set != nil {
		if err := p.set(d); err == nil {
			p.armed = true
		}
	}
	n, err := b.readLimited(buf)
	late := !time.Now().Before(d)
	switch {
	case err != nil && err != io.EOF && (late || errors.Is(err, os.ErrDeadlineExceeded)) && !errors.Is(err, ErrTooLarge):
		// The transport's timeout (netpoll's is not os.ErrDeadlineExceeded),
		// or a failure that came after the deadline: either way too slow.
		b.err = fmt.Errorf("%w: %w", p.slow(b.read), err)
		return n, b.err
	case err == nil && late:
		// Bytes that came too late, where nothing could interrupt the read.
		b.err = p.slow(b.read)
		return n, b.err
	}
	if err != nil {
		p.disarm()
	}
	return n, err
}

// disarm clears the deadline once the body has ended, so that it does not
// cut a response streamed afterwards (net/http watches the connection for
// a disconnect after the body, and would take the deadline for one).
func (p *pace) disarm() {
	if p.armed {
		p.armed = false
		p.set(time.Time{}) //nolint:errcheck // best effort: the body is over
	}
}

func (p *pace) slow(read int64) error {
	if p.rate > 0 {
		return fmt.Errorf("%w: %d bytes in %v, under the minimum of %d bytes/s after %v, or nothing for %v",
			ErrTooSlow, read, time.Since(p.start).Round(time.Millisecond), p.rate, p.idle, p.idle)
	}
	return fmt.Errorf("%w: nothing received for %v", ErrTooSlow, p.idle)
}

// classify turns an error met while reading through the multipart reader
// into the one to report: the body's own failure if there was one, else a
// parse error.
func (b *bodyReader) classify(err error) error {
	switch {
	case b.err != nil:
		return b.err
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrMalformed):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
}
