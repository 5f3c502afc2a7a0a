package adapter

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"

	"github.com/streamkit/streamkit/core"
)

// State is what an adapter's middleware leaves for the helpers of one
// request: the middleware's registry and logger, the response writer as
// the middleware found it, and the streams and Conn gates the helpers
// opened, for [State.End]. Its methods are safe for concurrent use, and
// every one of them works on a nil *State (a request outside the
// middleware): there is no registry, the logger is slog.Default(), and
// nothing is recorded.
type State struct {
	name     string
	registry *core.Registry
	logger   *slog.Logger
	base     http.ResponseWriter

	mu      sync.Mutex
	gates   []*Gate
	streams []*core.Stream
	wrapped bool // a stream writes through a wrapper installed after the middleware
}

// NewState returns the State of one request, made by the middleware before
// it runs the handler chain. name is the adapter's package name, which
// prefixes its log messages ("streamgin"). registry is the middleware's,
// nil for none; logger nil means slog.Default() at the time of logging.
// base is the framework's response writer when the middleware ran, for
// [State.HTTPConn]; nil where the framework is not built on net/http.
func NewState(name string, registry *core.Registry, logger *slog.Logger, base http.ResponseWriter) *State {
	return &State{name: name, registry: registry, logger: logger, base: base}
}

// Registry returns the middleware's registry, nil for none: the helpers
// join it when their options name no registry.
func (s *State) Registry() *core.Registry {
	if s == nil {
		return nil
	}
	return s.registry
}

// Logger returns the middleware's logger, or slog.Default().
func (s *State) Logger() *slog.Logger {
	if s != nil && s.logger != nil {
		return s.logger
	}
	return slog.Default()
}

// Add records the gate of a Conn the helpers bound, for [State.End] to
// close. A gate added after End is not closed by it.
func (s *State) Add(g *Gate) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.gates = append(s.gates, g)
	s.mu.Unlock()
}

// Track records a stream the helpers opened, for [State.End] to close.
func (s *State) Track(cs *core.Stream) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.streams = append(s.streams, cs)
	s.mu.Unlock()
}

// End runs when the handler chain returns; the middleware calls it, from
// the request's goroutine. After a normal return it closes the streams the
// helpers opened (a no-op for those already closed), which sends what a
// forgotten Close left buffered, unless a stream writes through a wrapper
// that a middleware inside this one installed (compression): that
// middleware has finished with its wrapper by now, so the streams are
// ended without another write. After a panic it does not: the panic may
// have struck while a stream held its lock, so only the lock-free gates
// are closed. Either way every gate added so far is closed, so nothing
// writes to the response afterwards through a gated Conn. End forgets what
// it closed; a second call does nothing.
func (s *State) End(normal bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	gates, streams, wrapped := s.gates, s.streams, s.wrapped
	s.gates, s.streams = nil, nil
	s.mu.Unlock()
	if normal && !wrapped {
		for _, cs := range streams {
			cs.Close() //nolint:errcheck // the stream records its own end
		}
	}
	for _, g := range gates {
		g.Close()
	}
	if wrapped {
		// A middleware inside this one wrapped the writer (compression,
		// say) and has torn its wrapper down by now: its compressor may
		// already serve another request. The gates are shut, so closing
		// a forgotten stream sends nothing more, and what it held is
		// dropped rather than written through a dead wrapper.
		for _, cs := range streams {
			cs.Close() //nolint:errcheck // the closed gate fails the flush
		}
	}
}

// Run is a middleware's call of the rest of its handler chain, next, on
// the request's goroutine. When next returns, Run calls [State.End]. When
// next panics, it calls End(false) and then:
//
//   - with onPanic nil, lets the panic go on unchanged: it is never
//     recovered, so a recovery middleware further out sees the original
//     value and stack, as it would without this middleware;
//   - with onPanic set, recovers the panic and passes its value to
//     onPanic, which logs it (see [State.LogPanic]) and answers the
//     request; a panic with http.ErrAbortHandler is passed on instead,
//     since it asks net/http to cut the connection.
//
// A next that ends its goroutine with runtime.Goexit counts as a panic
// for End.
func (s *State) Run(next func(), onPanic func(p any)) {
	normal := false
	defer func() {
		if normal {
			return
		}
		if onPanic == nil {
			s.End(false)
			return // not recovered: the panic goes on
		}
		p := recover()
		s.End(false)
		if p == nil {
			return // runtime.Goexit
		}
		if p == http.ErrAbortHandler { //nolint:errorlint // net/http compares it so
			panic(p)
		}
		onPanic(p)
	}()
	next()
	normal = true
	s.End(true)
}

// LogPanic logs p, a panic of the handler chain that the middleware
// recovered, at level Error, with the request's method and path and the
// panicking goroutine's stack (call it while the panic is being
// recovered). streaming says whether the response had begun: then the
// stream was ended and the status is gone; otherwise the adapter answers
// 500, as the message says.
func (s *State) LogPanic(p any, method, path string, streaming bool) {
	name := "adapter"
	if s != nil {
		name = s.name
	}
	msg := name + ": panic before streaming; answered 500"
	if streaming {
		msg = name + ": panic while streaming; the stream was ended"
	}
	s.Logger().Error(msg,
		"panic", fmt.Sprint(p),
		"method", method,
		"path", path,
		"stack", string(debug.Stack()))
}

// HTTPConn binds w and r with core.NewHTTPConn and returns its error as
// is. cur is the framework's response writer now: when it is not the one
// the middleware found (a wrapper was installed since, which may hide
// Unwrap, as gin-contrib/gzip's does), the Conn reads the connection's
// errors and write deadline from that one (core.HTTPConn.WithBase). It is
// called from the handler's goroutine.
func (s *State) HTTPConn(w http.ResponseWriter, r *http.Request, cur http.ResponseWriter) (*core.HTTPConn, error) {
	hc, err := core.NewHTTPConn(w, r)
	if err != nil {
		return nil, err
	}
	if s != nil && s.base != nil && s.base != cur {
		hc = hc.WithBase(s.base)
		s.mu.Lock()
		s.wrapped = true
		s.mu.Unlock()
	}
	return hc, nil
}
