package demo

import (
	"net/http"
	"net/url"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/upload"
)

// The limits every example server runs with. The examples are what users
// copy, so they carry the bounds a server facing the Internet needs; each
// says what it protects against.
const (
	// MaxHeaderBytes bounds the request line and headers: 64 KiB, many
	// times what browsers send (nginx allows 32 KiB by default). Each
	// connection may hold this much while its headers arrive, so it
	// multiplies by the number of clients: at 8 MiB, 40 clients sending
	// unfinished headers took a server from 12 MB to 700 MB. hertz's
	// standard transport copies the buffered headers on every read, which
	// made 1 MiB cost about 10 MiB per connection and 256 KiB up to 1.5 MiB;
	// at 64 KiB, 40 such clients add 5 to 10 MiB on every server. No route
	// needs more: /sse/echo takes large fields from a POST body.
	MaxHeaderBytes = 64 << 10

	// ReadHeaderTimeout bounds the time a client may take to send its
	// headers, so that a client trickling them (slowloris) cannot hold a
	// connection and its header buffer for long. It does not bound the
	// body: uploads are bounded by -upload-idle and -upload-min-rate.
	ReadHeaderTimeout = 10 * time.Second

	// IdleTimeout closes a keep-alive connection that has sent no new
	// request for this long, so that idle clients do not pin a goroutine
	// and buffers each forever. Open streams are not idle: it applies only
	// between requests.
	IdleTimeout = 60 * time.Second

	// DefaultMaxStreams is the default of -max-streams, the most streams
	// open at once (core.Registry.Limit); one more gets 503 with
	// Retry-After. An idle stream costs about 25 KB, so 10,000 streams are
	// about 250 MB: the bound keeps a flood of subscribers from taking the
	// process's memory and file descriptors.
	DefaultMaxStreams = 10_000

	// DefaultUploadIdle is the default of -upload-idle: an upload that
	// sends nothing for this long fails with 408, and it is the grace
	// period before -upload-min-rate applies.
	DefaultUploadIdle = 30 * time.Second

	// DefaultUploadMinRate is the default of -upload-min-rate, in bytes
	// per second: an upload must keep at least this average after the
	// grace period, so that a client sending a byte a second cannot hold
	// a handler for ever. 1 KiB/s is far below any real link.
	DefaultUploadMinRate = 1 << 10

	// MaxEchoBody bounds the form body of POST /sse/echo.
	MaxEchoBody = 4 << 20
)

// Limit sets the connection limits above on a net/http server (net/http,
// gin and echo); hertz takes them as server options.
func Limit(srv *http.Server) {
	srv.MaxHeaderBytes = MaxHeaderBytes
	srv.ReadHeaderTimeout = ReadHeaderTimeout
	srv.IdleTimeout = IdleTimeout
}

// Registry returns the registry of a server's streams, with -max-streams
// as its limit.
func (c *Config) Registry() *core.Registry {
	return &core.Registry{Limit: c.MaxStreams}
}

// UploadOptions are the options of POST /upload: -max-upload, the bounds
// on slow bodies, and progress reports to p (nil for none). The adapters'
// Upload helpers give them the connection's read deadline; on plain
// net/http set SetReadDeadline from http.NewResponseController.
func (c *Config) UploadOptions(p *Progress) *upload.Options {
	return &upload.Options{
		MaxBytes:        c.MaxUpload,
		ReadIdleTimeout: c.UploadIdle,
		MinRate:         c.UploadMinRate,
		Progress:        p.Update,
	}
}

// CheckQuery reports a raw query string net/url refuses: a bad escape, a
// ';', or more than 10,000 parameters. net/http's URL.Query drops such a
// query whole without a word, so a handler that read it would act on
// defaults (POST /topics/t?event=bad%0Aname&... would publish a plain
// message); every route answers it with 400 and this reason instead.
func CheckQuery(raw string) error {
	if raw == "" {
		return nil
	}
	if _, err := url.ParseQuery(raw); err != nil {
		return bad("malformed query string: %v", err)
	}
	return nil
}

// RejectBadQuery is net/http middleware answering 400 with the reason to a
// request whose query [CheckQuery] refuses, before any handler runs.
func RejectBadQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := CheckQuery(r.URL.RawQuery); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
