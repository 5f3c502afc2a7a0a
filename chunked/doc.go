// Package chunked streams raw HTTP bodies: downloads and progressive pages
// written as they are produced, in constant memory whatever their size.
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
// Request bodies that arrive as a stream (uploads) are read by package
// upload.
package chunked
