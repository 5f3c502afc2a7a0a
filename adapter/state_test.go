package adapter_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// TestNilState: outside the middleware the helpers have no State, and
// every method must still work.
func TestNilState(t *testing.T) {
	var st *adapter.State
	if got := st.Registry(); got != nil {
		t.Errorf("Registry() = %v, want nil", got)
	}
	if got := st.Logger(); got != slog.Default() {
		t.Errorf("Logger() = %v, want slog.Default()", got)
	}
	var g adapter.Gate
	st.Add(&g)
	rec := streamtest.NewRecorder()
	s, err := st.SSE(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.End(true)
	if err := s.Core().Err(); err != nil {
		t.Errorf("stream Err() after End on a nil State = %v, want nil: nothing was tracked", err)
	}
	if !g.Enter() {
		t.Error("gate closed by End on a nil State, want it left open: nothing was added")
	} else {
		g.Leave()
	}
	s.Close()
}

func TestStateLogger(t *testing.T) {
	own := slog.New(slog.DiscardHandler)
	cases := []struct {
		name   string
		logger *slog.Logger
		want   *slog.Logger
	}{
		{"Own", own, own},
		{"Default", nil, slog.Default()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := adapter.NewState("test", nil, tc.logger, nil)
			if got := st.Logger(); got != tc.want {
				t.Errorf("Logger() = %p, want %p", got, tc.want)
			}
		})
	}
}

// TestEnd: after a normal return End closes the tracked streams and the
// gates; after a panic only the gates.
func TestEnd(t *testing.T) {
	cases := []struct {
		name       string
		normal     bool
		wantClosed bool
	}{
		{"Normal", true, true},
		{"Panic", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := adapter.NewState("test", nil, nil, nil)
			var g adapter.Gate
			st.Add(&g)
			rec := streamtest.NewRecorder()
			s, err := st.NDJSON(rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Encode(map[string]int{"n": 1}); err != nil {
				t.Fatal(err)
			}

			st.End(tc.normal)
			if closed := errors.Is(s.Core().Err(), core.ErrClosed); closed != tc.wantClosed {
				t.Errorf("stream closed by End = %v, want %v (Err() = %v)", closed, tc.wantClosed, s.Core().Err())
			}
			if tc.wantClosed {
				if got, want := rec.Flushed(), "{\"n\":1}\n"; got != want {
					t.Errorf("flushed = %q, want %q: Close sends what was buffered", got, want)
				}
			}
			if g.Enter() {
				g.Leave()
				t.Error("gate open after End, want closed")
			}
			st.End(tc.normal) // forgets what it closed: a second call is harmless
		})
	}
}

// TestOpen: the openers fill in the middleware's registry only where the
// options name none, leave the caller's options alone, and track the
// stream.
func TestOpen(t *testing.T) {
	open := map[string]func(st *adapter.State, c core.Conn, reg *core.Registry) (*core.Stream, func() *core.Registry, error){
		"SSE": func(st *adapter.State, c core.Conn, reg *core.Registry) (*core.Stream, func() *core.Registry, error) {
			o := &sse.Options{Registry: reg}
			s, err := st.SSE(c, o)
			if err != nil {
				return nil, nil, err
			}
			return s.Core(), func() *core.Registry { return o.Registry }, nil
		},
		"NDJSON": func(st *adapter.State, c core.Conn, reg *core.Registry) (*core.Stream, func() *core.Registry, error) {
			o := &ndjson.Options{Registry: reg}
			s, err := st.NDJSON(c, o)
			if err != nil {
				return nil, nil, err
			}
			return s.Core(), func() *core.Registry { return o.Registry }, nil
		},
		"Chunked": func(st *adapter.State, c core.Conn, reg *core.Registry) (*core.Stream, func() *core.Registry, error) {
			o := &chunked.Options{Registry: reg}
			s, err := st.Chunked(c, o)
			if err != nil {
				return nil, nil, err
			}
			return s.Core(), func() *core.Registry { return o.Registry }, nil
		},
	}
	for _, kind := range []string{"SSE", "NDJSON", "Chunked"} {
		for _, own := range []bool{false, true} {
			name := kind + "/StateRegistry"
			if own {
				name = kind + "/OwnRegistry"
			}
			t.Run(name, func(t *testing.T) {
				mine, theirs := &core.Registry{}, &core.Registry{}
				st := adapter.NewState("test", mine, nil, nil)
				var given, want *core.Registry = nil, mine
				if own {
					given, want = theirs, theirs
				}
				s, optsRegistry, err := open[kind](st, streamtest.NewRecorder(), given)
				if err != nil {
					t.Fatal(err)
				}
				if got := optsRegistry(); got != given {
					t.Errorf("caller's options.Registry = %p after opening, want %p unchanged", got, given)
				}
				for _, r := range []*core.Registry{mine, theirs} {
					wantActive := int64(0)
					if r == want {
						wantActive = 1
					}
					if got := r.Stats().Active; got != wantActive {
						t.Errorf("registry %p: %d active streams, want %d", r, got, wantActive)
					}
				}
				st.End(true)
				if err := s.Err(); !errors.Is(err, core.ErrClosed) {
					t.Errorf("stream Err() after End = %v, want core.ErrClosed: opened streams are tracked", err)
				}
			})
		}
	}
}

// TestOpenRefused: a stream the registry refuses is neither returned nor
// tracked, and the error comes back as the encoder gave it.
func TestOpenRefused(t *testing.T) {
	reg := &core.Registry{Limit: 1}
	st := adapter.NewState("test", reg, nil, nil)
	first, err := st.SSE(streamtest.NewRecorder(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	rec := streamtest.NewRecorder()
	s, err := st.SSE(rec, nil)
	if !errors.Is(err, core.ErrTooManyStreams) || s != nil {
		t.Errorf("second SSE = %v, %v; want nil, core.ErrTooManyStreams", s, err)
	}
	if got := rec.Status(); got != http.StatusServiceUnavailable {
		t.Errorf("refused stream's status = %d, want %d", got, http.StatusServiceUnavailable)
	}
}

// errWriter is net/http's writer as far as flushing goes: FlushError, with
// an error to report.
type errWriter struct {
	http.ResponseWriter
	err error
}

func (w *errWriter) Flush()            {}
func (w *errWriter) FlushError() error { return w.err }

// hidingWriter flushes but hides what is beneath it (no Unwrap), as
// gin-contrib/gzip's writer does.
type hidingWriter struct{ http.ResponseWriter }

func (w *hidingWriter) Flush() {}

// TestHTTPConnBase: under a wrapper installed after the middleware, the
// Conn reads the flush error from the writer the middleware found.
func TestHTTPConnBase(t *testing.T) {
	boom := errors.New("broken pipe")
	base := &errWriter{ResponseWriter: httptest.NewRecorder(), err: boom}
	outer := &hidingWriter{base}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	cases := []struct {
		name string
		st   *adapter.State
		w    http.ResponseWriter
		cur  http.ResponseWriter
		want error
	}{
		{"Unwrapped", adapter.NewState("test", nil, nil, base), base, base, boom},
		{"Wrapped", adapter.NewState("test", nil, nil, base), outer, outer, boom},
		{"WrappedNoState", nil, outer, outer, nil},
		{"WrappedNoBase", adapter.NewState("test", nil, nil, nil), outer, outer, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hc, err := tc.st.HTTPConn(tc.w, r, tc.cur)
			if err != nil {
				t.Fatal(err)
			}
			if err := hc.Flush(); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("Flush() = %v, want %v", err, tc.want)
			}
		})
	}

	t.Run("CannotFlush", func(t *testing.T) {
		w := struct{ http.ResponseWriter }{httptest.NewRecorder()}
		st := adapter.NewState("test", nil, nil, w)
		if _, err := st.HTTPConn(w, r, w); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("HTTPConn = %v, want an error matching errors.ErrUnsupported", err)
		}
	})
}

// TestRun runs a handler chain through Run, as a middleware does, with
// panic recovery off (onPanic nil) and on.
func TestRun(t *testing.T) {
	cases := []struct {
		name       string
		chain      func()
		recover    bool
		wantPanic  any // what onPanic receives
		wantPassed any // what goes past Run
		wantClosed bool
	}{
		{"Normal", func() {}, false, nil, nil, true},
		{"NormalRecover", func() {}, true, nil, nil, true},
		{"PanicPassesOn", func() { panic("boom") }, false, nil, "boom", false},
		{"PanicRecovered", func() { panic("boom") }, true, "boom", nil, false},
		{"AbortHandler", func() { panic(http.ErrAbortHandler) }, true, nil, http.ErrAbortHandler, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := adapter.NewState("test", nil, nil, nil)
			var g adapter.Gate
			st.Add(&g)
			s, err := st.SSE(streamtest.NewRecorder(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()

			var got any
			var onPanic func(any)
			if tc.recover {
				onPanic = func(p any) { got = p }
			}
			passed := func() (p any) {
				defer func() { p = recover() }()
				st.Run(tc.chain, onPanic)
				return nil
			}()
			if got != tc.wantPanic {
				t.Errorf("onPanic got %v, want %v", got, tc.wantPanic)
			}
			if passed != tc.wantPassed {
				t.Errorf("panic passed on = %v, want %v", passed, tc.wantPassed)
			}
			if closed := s.Core().Err() != nil; closed != tc.wantClosed {
				t.Errorf("stream closed = %v, want %v", closed, tc.wantClosed)
			}
			if g.Enter() {
				g.Leave()
				t.Error("gate open after Run, want closed")
			}
		})
	}
}

func TestLogPanic(t *testing.T) {
	cases := []struct {
		name      string
		streaming bool
		want      string
	}{
		{"BeforeStreaming", false, "streamtest: panic before streaming; answered 500"},
		{"WhileStreaming", true, "streamtest: panic while streaming; the stream was ended"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			st := adapter.NewState("streamtest", nil, slog.New(slog.NewTextHandler(&buf, nil)), nil)
			st.LogPanic(errors.New("no database"), http.MethodGet, "/events", tc.streaming)
			got := buf.String()
			for _, want := range []string{
				"level=ERROR", tc.want, "panic=\"no database\"", "method=GET", "path=/events", "stack=",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("log = %q, want it to contain %q", got, want)
				}
			}
		})
	}
}
