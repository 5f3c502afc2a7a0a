// Package upload reads streamed request bodies (uploads) as they arrive,
// in constant memory whatever their size: the raw body, or the file part
// of a multipart/form-data body, which it finds with mime/multipart's
// streaming reader (never ParseMultipartForm, which keeps up to 32 MB of
// the form in memory and the rest in temporary files).
//
// [Read] takes a net/http request (gin's c.Request, echo's c.Request());
// [ReadFrom] takes a body, its Content-Type and its declared length, for
// frameworks without one (streamhertz.Upload uses it). Both return a
// [Body], an io.Reader; io.Copy(dst, body) copies it through a pooled
// buffer.
//
// [Options.MaxBytes] limits the body: a declared Content-Length over the
// limit is refused before anything is read, and the bytes are counted as
// they are read, so a body with no Content-Length, or with one that lies,
// fails as soon as it passes the limit. [Status] maps the errors to a
// status: 413 for [ErrTooLarge], 400 for [ErrMalformed], [ErrNoFile] and
// bodies cut short, 500 for anything else (a failing destination).
//
//	func store(w http.ResponseWriter, r *http.Request) {
//		body, err := upload.Read(r, &upload.Options{MaxBytes: 1 << 30})
//		if err != nil {
//			http.Error(w, err.Error(), upload.Status(err))
//			return
//		}
//		h := sha256.New()
//		n, err := io.Copy(h, body)
//		if err != nil {
//			http.Error(w, err.Error(), upload.Status(err))
//			return
//		}
//		fmt.Fprintf(w, `{"bytes":%d,"sha256":"%x"}`, n, h.Sum(nil))
//	}
//
// Read the body to its end before streaming a response: until then
// net/http does not notice a client that leaves.
//
// # Slow bodies
//
// A server's ReadTimeout is useless for large uploads (it would have to
// allow the slowest honest upload in full), so without more, a client that
// sends a byte a second holds a handler for as long as it likes.
// [Options.ReadIdleTimeout] bounds how long the body may send nothing, and
// [Options.MinRate] the average rate it must keep after that grace period;
// a body that breaks either fails with [ErrTooSlow], which [Status] maps to
// 408. Both are off by default. They interrupt a waiting read through
// [Options.SetReadDeadline] (http.NewResponseController(w).SetReadDeadline
// on net/http; the adapters' Upload helpers set it).
//
// # hertz
//
// hertz reads the whole request body into memory before the handler runs
// unless the server is built with server.WithStreamBody(true); only then
// does ctx.RequestBodyStream() stream it. Use the standard transport
// (server.WithTransport(standard.NewTransporter)) for large uploads:
// netpoll, the default on Linux and macOS (amd64 and arm64), reads request
// bodies into its own buffer ahead of the handler. hertz reports a
// negative length for a chunked body, which ReadFrom takes as unknown.
// streamhertz.Upload does all this.
package upload
