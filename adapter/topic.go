package adapterkit

import (
	"context"
	"errors"
	"iter"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// Stage is how far a request of a handler constructor went.
type Stage int

const (
	// Served: the stream was opened, served and closed. Outcome.Err is why
	// it ended, nil for an ordinary end (see [Ordinary]).
	Served Stage = iota

	// Refused: the user's function returned Outcome.Err, and nothing was
	// opened or sent. A nil Err means it returned a nil source instead,
	// having answered the request itself.
	Refused

	// BadTopic: [ServeTopic] was given a topic name that hub.ValidTopic
	// refuses; nothing was opened or sent, and the adapter answers 400.
	BadTopic

	// NotOpened: opening the stream failed with Outcome.Err. The opener
	// has answered the client already, or the client left.
	NotOpened

	// Unavailable: [ServeTopic] could not subscribe (the hub is closed, or
	// its backend is down) with Outcome.Err; nothing was opened or sent,
	// and the adapter answers 503.
	Unavailable
)

// Outcome is how one request of a handler constructor went, for the adapter
// to report in its framework's way.
type Outcome struct {
	Stage Stage
	Err   error
}

// Ordinary reports whether err is an ordinary end of a stream, nothing to
// report: nil, or the client left, the stream was closed, shut down or
// past its lifetime.
func Ordinary(err error) bool {
	return err == nil || errors.Is(err, core.ErrClientGone) || errors.Is(err, core.ErrShutdown) ||
		errors.Is(err, core.ErrLifetime) || errors.Is(err, core.ErrClosed)
}

// endError returns err unless it is an ordinary end.
func endError(err error) error {
	if Ordinary(err) {
		return nil
	}
	return err
}

// SSESeq runs a request of an SSESeq handler: fn, the user's function bound
// to the request, then open, which starts the stream (and answers the
// client when it cannot), then each value of the sequence as an event until
// the sequence ends or the stream does, then Close. A value of type
// sse.Event or *sse.Event is sent as that event, any other as an event
// whose data is its JSON (sse.SendJSON).
//
// A Served Outcome's Err is the error of a send that failed: as is for an
// event SSE cannot carry (it matches sse.ErrInvalidField); otherwise the
// stream's Err at that moment, nil for an ordinary end or a stream that is
// still open (a value that cannot be marshalled). A stream that ended
// between two sends gives nil. It runs on the request's goroutine, and so
// does everything it calls.
func SSESeq[T any](fn func() (iter.Seq[T], error), open func() (*sse.Stream, error)) Outcome {
	return serve[T](fn, open, sendSeq[T])
}

// NDJSONSeq runs a request of an NDJSONSeq handler as [SSESeq] does, sending
// the sequence's values as JSON records with ndjson.Seq; a Served Outcome's
// Err is ndjson.Seq's error, nil for an ordinary end.
func NDJSONSeq[T any](fn func() (iter.Seq[T], error), open func() (*ndjson.Stream, error)) Outcome {
	return serve[T](fn, open, ndjson.Seq[T])
}

// NDJSONChan runs a request of an NDJSONChan handler as [SSESeq] does,
// sending the values received from the channel as JSON records with
// ndjson.Chan; a Served Outcome's Err is ndjson.Chan's error, nil for an
// ordinary end.
func NDJSONChan[T any](fn func() (<-chan T, error), open func() (*ndjson.Stream, error)) Outcome {
	return serve[T](fn, open, ndjson.Chan[T])
}

// ServeTopic runs a request of a HubTopic handler: it checks topic with
// hub.ValidTopic, subscribes to it with ctx, the request's context (before
// anything is sent, so that no event published once the client sees the
// stream open is missed), opens the stream with open, and serves the
// subscription on it with h.ServeSSE, which closes both. A Served Outcome's
// Err is ServeSSE's error unless that is an ordinary end.
func ServeTopic(ctx context.Context, h *hub.Hub, topic, lastEventID string, open func() (*sse.Stream, error)) Outcome {
	if !hub.ValidTopic(topic) {
		return Outcome{Stage: BadTopic}
	}
	sub, err := h.Subscribe(ctx, topic, lastEventID)
	if err != nil {
		return Outcome{Stage: Unavailable, Err: err}
	}
	s, err := open()
	if err != nil {
		sub.Close()
		return Outcome{Stage: NotOpened, Err: err}
	}
	return Outcome{Err: endError(h.ServeSSE(s, sub))}
}

// source is what the handler constructors stream from.
type source[T any] interface{ iter.Seq[T] | <-chan T }

// serve is the common body of the handler constructors: fn, then open,
// then send, then Close.
func serve[T any, Src source[T], S interface{ Close() error }](fn func() (Src, error),
	open func() (S, error), send func(S, Src) error) Outcome {
	src, err := fn()
	if err != nil || src == nil {
		return Outcome{Stage: Refused, Err: err}
	}
	s, err := open()
	if err != nil {
		return Outcome{Stage: NotOpened, Err: err}
	}
	defer s.Close() //nolint:errcheck // the stream records its own end
	return Outcome{Err: endError(send(s, src))}
}

// sendSeq sends the values of seq on s until seq or s ends; see [SSESeq]
// for its result.
func sendSeq[T any](s *sse.Stream, seq iter.Seq[T]) error {
	done := s.Done()
	for v := range seq {
		select {
		case <-done:
			return nil
		default:
		}
		if err := sendValue(s, v); err != nil {
			if errors.Is(err, sse.ErrInvalidField) {
				return err
			}
			return s.Err()
		}
	}
	return nil
}

// sendValue sends v as an event: as is for an sse.Event, else as JSON.
func sendValue[T any](s *sse.Stream, v T) error {
	switch e := any(v).(type) {
	case sse.Event:
		return s.Send(&e)
	case *sse.Event:
		return s.Send(e)
	}
	return sse.SendJSON(s, nil, v)
}
