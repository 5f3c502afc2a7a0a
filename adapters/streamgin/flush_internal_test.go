package streamgin

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/core"
)

// The flush path is checked here on stand-in writers because which method
// was called cannot be seen from a client; the tests in streamgin_test
// check the result on live servers.

// errWriter stands in for net/http's writer: FlushError and Flush, counted.
type errWriter struct {
	http.ResponseWriter
	flushErr          error
	flushes, flushErs int
}

func (w *errWriter) Flush()            { w.flushes++ }
func (w *errWriter) FlushError() error { w.flushErs++; return w.flushErr }

// hidingWriter flushes but has no Unwrap, as gin-contrib/gzip's writer.
type hidingWriter struct {
	gin.ResponseWriter
	flushes int
}

func (w *hidingWriter) Flush() { w.flushes++; w.ResponseWriter.Flush() }

func ginWriter(w http.ResponseWriter) gin.ResponseWriter {
	c, _ := gin.CreateTestContext(w)
	return c.Writer
}

func TestFlushReportsErrors(t *testing.T) {
	boom := errors.New("broken pipe")
	r := httptest.NewRequest("GET", "/", nil)

	t.Run("GinWriter", func(t *testing.T) {
		inner := &errWriter{ResponseWriter: httptest.NewRecorder(), flushErr: boom}
		hc, err := core.NewHTTPConn(ginWriter(inner), r)
		if err != nil {
			t.Fatal(err)
		}
		if err := hc.Flush(); !errors.Is(err, boom) {
			t.Errorf("Flush() = %v, want %v", err, boom)
		}
	})

	t.Run("HidingWrapperThenBase", func(t *testing.T) {
		inner := &errWriter{ResponseWriter: httptest.NewRecorder(), flushErr: boom}
		base := ginWriter(inner)
		outer := &hidingWriter{ResponseWriter: base}
		hc, err := core.NewHTTPConn(outer, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := hc.WithBase(base).Flush(); !errors.Is(err, boom) {
			t.Errorf("Flush() = %v, want %v from the base writer", err, boom)
		}
		if outer.flushes != 1 || inner.flushErs != 1 {
			t.Errorf("wrapper flushed %d times, base FlushError %d; want 1, 1", outer.flushes, inner.flushErs)
		}
	})

	t.Run("HidingWrapperNoBase", func(t *testing.T) {
		inner := &errWriter{ResponseWriter: httptest.NewRecorder(), flushErr: boom}
		outer := &hidingWriter{ResponseWriter: ginWriter(inner)}
		hc, err := core.NewHTTPConn(outer, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := hc.Flush(); err != nil {
			t.Errorf("Flush() = %v, want nil: the error is out of reach", err)
		}
		if outer.flushes != 1 {
			t.Errorf("wrapper flushed %d times, want 1", outer.flushes)
		}
	})
}

func TestIsGinWriter(t *testing.T) {
	cases := []struct {
		name string
		w    http.ResponseWriter
		want bool
	}{
		{"GinWriter", ginWriter(httptest.NewRecorder()), true},
		{"Recorder", httptest.NewRecorder(), false},
		{"Wrapper", &hidingWriter{ResponseWriter: ginWriter(httptest.NewRecorder())}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := isGinWriter(tc.w); got != tc.want {
				t.Errorf("isGinWriter(%T) = %v, want %v", tc.w, got, tc.want)
			}
		})
	}
}
