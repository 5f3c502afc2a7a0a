package upload

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"sync"
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
// (and http.MaxBytesReader's error); 400 Bad Request for [ErrMalformed],
// [ErrNoFile] and a body cut short (io.ErrUnexpectedEOF); 500 for anything
// else, such as a failing destination.
func Status(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrTooLarge), errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
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
	err      error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
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
