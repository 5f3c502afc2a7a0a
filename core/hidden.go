package core

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// warnedHiders holds the error text of every hidden write deadline already
// reported, so each wrapper type is reported once per process, not once per
// stream.
var warnedHiders sync.Map

// deadlineHiddenLocked records that the Conn cannot set write deadlines
// (err says which writer hides them). Nothing then lifts the server's
// absolute WriteTimeout, which will cut the stream however healthy its
// client: the stream notes when, so that such an end is reported as
// [ErrServerTimeout] rather than blamed on the client, and says so once,
// loudly, with what to do about it.
func (s *Stream) deadlineHiddenLocked(err error) {
	s.timeout = -1 // nothing to renew
	var cut time.Duration
	if srv, ok := s.conn.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.WriteTimeout > 0 {
		cut = srv.WriteTimeout
		// The server armed its deadline when it read the request, a little
		// (on a loaded machine, not so little) before this stream opened:
		// a stream that ends in the last quarter of the window is taken to
		// have met it. It was going to be cut there in any case. A deadline
		// the stream did set replaced the server's, and its expiry is an
		// ErrWriteTimeout; with none set, the stream has not flushed yet,
		// and lastWrite is still when it opened.
		if s.deadline == 0 {
			s.cut.Store(s.lastWrite + int64(cut-cut/4))
		}
	}
	if _, seen := warnedHiders.LoadOrStore(err.Error(), true); seen {
		return
	}
	if cut > 0 {
		slog.Warn(fmt.Sprintf("streamkit: %v. The server's WriteTimeout (%s) will cut every such stream at that age and no per-write bound protects it from slow clients. "+
			"Mount streamkit's middleware ahead of the wrapping middleware (it keeps the writer underneath), give the Conn that writer with HTTPConn.WithBase, "+
			"or give the wrapper an Unwrap method.", err, cut))
		return
	}
	slog.Warn(fmt.Sprintf("streamkit: %v. No per-write bound protects these streams from slow clients. "+
		"Mount streamkit's middleware ahead of the wrapping middleware, give the Conn the writer underneath with HTTPConn.WithBase, "+
		"or give the wrapper an Unwrap method.", err))
}

// serverTimedOut reports whether a stream that cannot lift the server's
// WriteTimeout has reached it.
func (s *Stream) serverTimedOut() bool {
	c := s.cut.Load()
	return c < 0 || c > 0 && time.Now().UnixNano() >= c
}
