package hub

import (
	"errors"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// ServeSSE serves topic on the event stream s, resuming after lastEventID
// (see [Hub.Subscribe]), and returns when the stream ends: the client left,
// the stream was shut down or reached its lifetime (sse.Stream sends its
// farewell), the hub was closed, or the subscriber was too slow. It closes s
// before returning.
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
// stopped reading, another write error, or Subscribe's error (an invalid
// topic, a backend that is down), in which case nothing but the headers was
// sent. sse.NewStream has sent the headers already, so check the topic with
// [ValidTopic] before creating the stream, to answer a bad name with 400.
//
// The handler calls ServeSSE on its own goroutine, which does all the work:
// the hub runs no goroutine per subscriber.
func (h *Hub) ServeSSE(s *sse.Stream, topic, lastEventID string) error {
	defer s.Close() //nolint:errcheck // the stream records its own end
	ctx := s.Context()
	sub, err := h.Subscribe(ctx, topic, lastEventID)
	if err != nil {
		if s.Err() != nil {
			return streamEnd(s.Err())
		}
		return err
	}
	defer sub.Close()
	for {
		ev, err := sub.Next(ctx)
		switch {
		case err == nil:
		case errors.Is(err, ErrSlowSubscriber):
			hint := h.resync(ReasonSlow, sub.LastID())
			s.Send(&sse.Event{ID: hint.ID, Type: hint.Type, Data: hint.Data}) //nolint:errcheck // best effort
			return err
		case errors.Is(err, ErrClosed):
			return nil
		default: // ctx ended with the stream
			return streamEnd(s.Err())
		}
		if ev.enc != nil {
			err = s.WriteEncoded(ev.enc)
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
