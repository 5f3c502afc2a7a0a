package hub

import (
	"errors"
	"fmt"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// ServeSSE serves the subscription sub on the event stream s, and returns
// when the stream ends: the client left, the stream was shut down or
// reached its lifetime (sse.Stream sends its farewell), the hub was closed,
// or the subscriber was too slow. It closes sub and s before returning.
//
// Subscribe first, then open the stream, then call ServeSSE:
//
//	last, err := sse.LastEventID(r)
//	if err != nil { ... 400 with err's text ... }
//	sub, err := h.Subscribe(r.Context(), topic, last)
//	if err != nil { ... 400 for ErrInvalidTopic, 503 otherwise ... }
//	s, err := sse.NewStream(conn, opts)
//	if err != nil { sub.Close(); return }
//	h.ServeSSE(s, sub)
//
// The order matters: a browser's EventSource reports the stream open when
// the headers arrive, and a page may publish at once; a subscription made
// after the headers went out could miss that event. Bad input (a malformed
// query, an invalid topic) and an unavailable backend are also answered
// before any byte of the stream, with an ordinary status.
//
// It sends the replayed history or a resync signal first, then each live
// event as the bytes encoded once for every subscriber; heartbeats, write
// deadlines and the flush policy are the stream's (see sse.Options). A
// subscriber cut off under the [Disconnect] policy gets a last resync
// signal with [ReasonSlow] and the ID to resume from.
//
// It returns nil when the client left, the stream was shut down, closed or
// past its lifetime, or the hub was closed; otherwise the error: one
// matching [ErrSlowSubscriber], core.ErrWriteTimeout for a client that
// stopped reading, or another write error.
//
// The handler calls ServeSSE on its own goroutine, which does all the work:
// the hub runs no goroutine per subscriber.
func (h *Hub) ServeSSE(s *sse.Stream, sub *Subscription) error {
	defer s.Close() //nolint:errcheck // the stream records its own end
	defer sub.Close()
	ctx := s.Context()
	for {
		ev, err := sub.Next(ctx)
		switch {
		case err == nil:
		case errors.Is(err, ErrSlowSubscriber):
			hint := h.resync(ReasonSlow, sub.LastID())
			h.observeResync(sub.t.name, &hint)
			s.Send(&sse.Event{ID: hint.ID, Type: hint.Type, Data: hint.Data}) //nolint:errcheck // best effort
			// The stream ends as a slow client's, for its observer and Err.
			s.Core().CloseCause(fmt.Errorf("%w: %w", core.ErrSlowClient, err)) //nolint:errcheck // it already failed
			return err
		case errors.Is(err, ErrClosed):
			return nil
		default: // ctx ended with the stream
			return streamEnd(s.Err())
		}
		if ev.enc != nil {
			_, err = s.Core().Write(ev.enc)
		} else {
			err = s.Send(&sse.Event{ID: ev.ID, Type: ev.Type, Data: ev.Data})
			if errors.Is(err, sse.ErrInvalidField) {
				// A stored event SSE cannot carry (not published
				// through a hub): say it is missing, not skip it.
				hint := h.resync(ReasonUnavailable, ev.ID)
				err = s.Send(&sse.Event{ID: hint.ID, Type: hint.Type, Data: hint.Data})
			}
		}
		if err != nil {
			return streamEnd(s.Err())
		}
	}
}

// streamEnd maps why a stream ended to ServeSSE's result: nil for the
// ordinary ends.
func streamEnd(err error) error {
	switch {
	case err == nil,
		errors.Is(err, core.ErrClientGone),
		errors.Is(err, core.ErrShutdown),
		errors.Is(err, core.ErrLifetime),
		errors.Is(err, core.ErrClosed):
		return nil
	}
	return err
}
