// Package chunked streams raw HTTP bodies: downloads and progressive pages
// written as they are produced, and uploads read as they arrive, both in
// constant memory whatever their size.
//
// # Responses
//
// A [Stream] is a raw body on a [core.Stream]: an io.Writer whose writes
// reach the client as they are made (HTTP/1.1 chunked transfer encoding,
// HTTP/2 DATA frames), with the core's flush policies, write deadlines and
// registry. No Content-Length is sent. [Copy] sends an io.Reader through a
// pooled 32 KiB buffer with progress reports, and stops when the client
// leaves.
//
//	func download(w http.ResponseWriter, r *http.Request) {
//		c, err := core.NewHTTPConn(w, r)
//		if err != nil {
//			http.Error(w, err.Error(), http.StatusInternalServerError)
//			return
//		}
//		c.SetHeader("Content-Disposition", `attachment; filename="export.csv"`)
//		s, err := chunked.NewStream(c, &chunked.Options{ContentType: "text/csv"})
//		if err != nil {
//			return // refused by the registry: already answered with 503
//		}
//		defer s.Close()
//		chunked.Copy(s, export(s.Context()), nil)
//	}
//
// Progressive HTML works the same way: write the head at once so the
// browser starts fetching styles and scripts, then each part of the page
// as it is ready. Once the first byte is sent the status is final; an
// error after that can only be shown in the page itself.
//
// A flush hands bytes to the connection; a proxy in between may still
// buffer them. Streams send X-Accel-Buffering: no, which nginx honours;
// other proxies, and compression middleware that does not flush, need
// their own configuration.
//
// # Uploads
//
// [ReadUpload] reads a request body as it arrives: the raw body, or the
// file part of a multipart/form-data body, which it finds with
// mime/multipart's streaming reader (never ParseMultipartForm, which keeps
// up to 32 MB of the form in memory and the rest in temporary files). The
// [Upload] it returns is an io.Reader; io.Copy(dst, upload) copies it
// through a pooled buffer. [Consume] does both in one call, and
// [ReadRequest] takes a net/http request.
//
// [UploadOptions.MaxBytes] limits the body: a declared Content-Length over
// the limit is refused before anything is read, and the bytes are counted
// as they are read, so a body with no Content-Length, or with one that
// lies, fails as soon as it passes the limit. [StatusOf] maps the errors to
// a status: 413 for [ErrTooLarge], 400 for [ErrMalformed], [ErrNoFile] and
// bodies cut short.
//
//	func upload(w http.ResponseWriter, r *http.Request) {
//		h := sha256.New()
//		n, err := chunked.Consume(h, r.Body, r.Header.Get("Content-Type"), r.ContentLength,
//			&chunked.UploadOptions{MaxBytes: 1 << 30})
//		if err != nil {
//			http.Error(w, err.Error(), chunked.StatusOf(err))
//			return
//		}
//		fmt.Fprintf(w, `{"bytes":%d,"sha256":"%x"}`, n, h.Sum(nil))
//	}
//
// # hertz
//
// hertz reads the whole request body into memory before the handler runs
// unless the server is built with server.WithStreamBody(true); only then
// does ctx.RequestBodyStream() stream it:
//
//	n, err := chunked.Consume(h, ctx.RequestBodyStream(), string(ctx.ContentType()),
//		int64(ctx.Request.Header.ContentLength()), opts)
//
// Use the standard transport (server.WithTransport(standard.NewTransporter))
// for large uploads: netpoll, the default on Linux and macOS (amd64 and arm64), reads request
// bodies into its own buffer ahead of the handler. hertz reports a negative
// length for a chunked body, which ReadUpload takes as unknown.
package chunked
