package streamechov5

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// The flush path is checked here on stand-in writers because which method
// was called cannot be seen from a client; the tests in streamecho_test
// check the result on live servers.

// errWriter stands in for net/http's writer: FlushError and Flush, counted.
type errWriter struct {
	http.ResponseWriter
	flushErr          error
	flushes, flushErs int
}

func (w *errWriter) Flush()            { w.flushes++ }
func (w *errWriter) FlushError() error { w.flushErs++; return w.flushErr }

// bufferingWriter cannot flush at all, as http.TimeoutHandler's writer.
type bufferingWriter struct{ http.ResponseWriter }

func TestConnFlush(t *testing.T) {
	boom := errors.New("broken pipe")
	e := echo.New()

	t.Run("PastResponseToFlushError", func(t *testing.T) {
		inner := &errWriter{ResponseWriter: httptest.NewRecorder(), flushErr: boom}
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), inner)
		cn, err := newConn(c)
		if err != nil {
			t.Fatal(err)
		}
		cn.Start(http.StatusOK)
		if err := cn.Flush(); !errors.Is(err, boom) {
			t.Errorf("Flush() = %v, want %v", err, boom)
		}
		if inner.flushErs != 1 || inner.flushes != 0 {
			t.Errorf("FlushError called %d times, Flush %d; want 1, 0", inner.flushErs, inner.flushes)
		}
	})

	t.Run("UnderGzip", func(t *testing.T) {
		inner := &errWriter{ResponseWriter: httptest.NewRecorder(), flushErr: boom}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		c := e.NewContext(req, inner)
		var err error
		middleware.Gzip()(func(c *echo.Context) error {
			cn, cerr := newConn(c)
			if cerr != nil {
				return cerr
			}
			cn.Start(http.StatusOK)
			cn.Write([]byte("data"))
			err = cn.Flush()
			return nil
		})(c)
		if !errors.Is(err, boom) {
			t.Errorf("Flush() = %v, want %v read beneath the gzip writer", err, boom)
		}
		if inner.flushes != 0 || inner.flushErs == 0 {
			t.Errorf("Flush called %d times, FlushError %d; want 0, > 0", inner.flushes, inner.flushErs)
		}
	})

	t.Run("CannotFlush", func(t *testing.T) {
		bw := &bufferingWriter{httptest.NewRecorder()}
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), bw)
		if _, err := newConn(c); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("newConn = %v, want an error matching errors.ErrUnsupported", err)
		}
	})

	// Gzip's Flush would reach echo's Response.Flush, which panics when
	// nothing beneath it can flush: the binding refuses before that.
	t.Run("CannotFlushUnderGzip", func(t *testing.T) {
		bw := &bufferingWriter{httptest.NewRecorder()}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		c := e.NewContext(req, bw)
		var err error
		middleware.Gzip()(func(c *echo.Context) error {
			_, err = newConn(c)
			return nil
		})(c)
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("newConn = %v, want an error matching errors.ErrUnsupported", err)
		}
	})

	// A wrapper without Unwrap hides echo's Response: the flush error and
	// the write deadline are then read beneath the writer the middleware
	// captured before the wrapper was installed.
	t.Run("HiddenResponse", func(t *testing.T) {
		inner := &errWriter{ResponseWriter: httptest.NewRecorder(), flushErr: boom}
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), inner)
		var err error
		Middleware(nil)(func(c *echo.Context) error {
			c.SetResponse(&hider{c.Response()})
			cn, cerr := newConn(c)
			if cerr != nil {
				return cerr
			}
			if cn.res != nil {
				t.Errorf("echo's Response found through a wrapper without Unwrap")
			}
			cn.Start(http.StatusOK)
			cn.Write([]byte("data"))
			err = cn.Flush()
			return nil
		})(c)
		if !errors.Is(err, boom) {
			t.Errorf("Flush() = %v, want %v read beneath the hiding wrapper", err, boom)
		}
	})
}

// hider wraps a writer without Unwrap, flushing it with its own Flush.
type hider struct{ http.ResponseWriter }

func (h *hider) Flush() { http.NewResponseController(h.ResponseWriter).Flush() } //nolint:errcheck // drops it, as such wrappers do
