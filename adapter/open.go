package adapter

import (
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// The openers below repeat their few lines rather than share a generic
// helper that takes the encoder's NewStream as a func value: the options'
// copy would then escape to the heap, one allocation more per request.

// SSE starts a Server-Sent Events stream on conn with sse.NewStream and
// records it for [State.End]. When opts names no registry, the State's is
// used; opts itself is not changed. It returns sse.NewStream's error as is.
// Call it from the handler's goroutine.
func (s *State) SSE(conn core.Conn, opts *sse.Options) (*sse.Stream, error) {
	o := valueOf(opts)
	if o.Registry == nil {
		o.Registry = s.Registry()
	}
	st, err := sse.NewStream(conn, &o)
	return tracked(s, st, err)
}

// NDJSON starts a stream of JSON records on conn with ndjson.NewStream and
// records it, as [State.SSE] does.
func (s *State) NDJSON(conn core.Conn, opts *ndjson.Options) (*ndjson.Stream, error) {
	o := valueOf(opts)
	if o.Registry == nil {
		o.Registry = s.Registry()
	}
	st, err := ndjson.NewStream(conn, &o)
	return tracked(s, st, err)
}

// Chunked starts a raw streamed body on conn with chunked.NewStream and
// records it, as [State.SSE] does.
func (s *State) Chunked(conn core.Conn, opts *chunked.Options) (*chunked.Stream, error) {
	o := valueOf(opts)
	if o.Registry == nil {
		o.Registry = s.Registry()
	}
	st, err := chunked.NewStream(conn, &o)
	return tracked(s, st, err)
}

// valueOf returns *p, or the zero value for nil: the defaults.
func valueOf[O any](p *O) O {
	var o O
	if p != nil {
		o = *p
	}
	return o
}

// tracked records a stream just opened, unless opening it failed.
func tracked[S interface{ Core() *core.Stream }](s *State, st S, err error) (S, error) {
	if err != nil {
		var none S
		return none, err
	}
	s.Track(st.Core())
	return st, nil
}
