package streamtest

import (
	"testing"

	"github.com/streamkit/streamkit/core"
)

// CheckEnded fails t unless c refuses to write or flush: Write, Flush and,
// when c is a [core.WriteFlusher], WriteFlush must each return an error.
// An adapter's tests call it on a Conn kept past the end of its handler,
// where a stream's timer that fired just then could still reach it.
func CheckEnded(t testing.TB, c core.Conn) {
	t.Helper()
	if _, err := c.Write([]byte("late")); err == nil {
		t.Error("Write on an ended Conn: no error")
	}
	if err := c.Flush(); err == nil {
		t.Error("Flush on an ended Conn: no error")
	}
	if wf, ok := c.(core.WriteFlusher); ok {
		if err := wf.WriteFlush([]byte("late")); err == nil {
			t.Error("WriteFlush on an ended Conn: no error")
		}
	}
}
