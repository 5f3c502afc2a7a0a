package adapter

import (
	"time"

	"github.com/streamkit/streamkit/upload"
)

// UploadOptions returns the options an adapter's Upload helper passes to
// upload.Read or upload.ReadFrom: opts, with setReadDeadline, the
// connection's read deadline, filled in when the bounds on slow bodies
// (upload.Options.ReadIdleTimeout) are set and opts names none. opts itself
// is not changed; nil stays nil.
func UploadOptions(opts *upload.Options, setReadDeadline func(time.Time) error) *upload.Options {
	if opts == nil || opts.ReadIdleTimeout <= 0 || opts.SetReadDeadline != nil {
		return opts
	}
	o := *opts
	o.SetReadDeadline = setReadDeadline
	return &o
}
