package adapter

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
)

// Stage is how far a request served by [ServeTopic] went.
type Stage int

const (
	// Served: the stream was opened, served and closed. Outcome.Err is why
	// it ended, nil for an ordinary end (see [Ordinary]).
	Served Stage = iota

	// BadRequest: the client's input was refused before anything was
	// opened or sent: a topic name hub.ValidTopic refuses (Outcome.Err
	// matches hub.ErrInvalidTopic), or a query sse.LastEventID cannot
	// read. The adapter answers 400 with Outcome.Err's text.
	BadRequest

	// Unavailable: the hub could not subscribe (it is closed, or its
	// backend is down), with Outcome.Err; nothing was opened or sent, and
	// the adapter answers 503.
	Unavailable

	// NotOpened: opening the stream failed with Outcome.Err. The opener
	// has answered the client already, or the client left.
	NotOpened
)

// Outcome is how one request served by [ServeTopic] went, for the adapter
// to report in its framework's way (gin's c.Errors, an error returned to
// echo, a log line).
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

// ServeTopic serves one request of an adapter's HubTopic handler. It checks
// topic with hub.ValidTopic and reads the client's Last-Event-ID from r
// with sse.LastEventID (r is only read: a framework without an
// *http.Request passes one holding the header and the raw query), then
// subscribes with ctx, the request's context, before anything is sent, so
// that no event published once the client sees the stream open is missed;
// then it opens the stream with open and serves the subscription on it with
// h.ServeSSE, which closes both. A Served Outcome's Err is ServeSSE's error
// unless that is an ordinary end. It runs on the request's goroutine.
func ServeTopic(ctx context.Context, h *hub.Hub, topic string, r *http.Request, open func() (*sse.Stream, error)) Outcome {
	if !hub.ValidTopic(topic) {
		return Outcome{Stage: BadRequest,
			Err: fmt.Errorf("%w: use 1 to 64 ASCII letters, digits, '.', '_' or '-'", hub.ErrInvalidTopic)}
	}
	last, err := sse.LastEventID(r)
	if err != nil {
		return Outcome{Stage: BadRequest, Err: err}
	}
	sub, err := h.Subscribe(ctx, topic, last)
	if err != nil {
		return Outcome{Stage: Unavailable, Err: err}
	}
	s, err := open()
	if err != nil {
		sub.Close()
		return Outcome{Stage: NotOpened, Err: err}
	}
	err = h.ServeSSE(s, sub)
	if Ordinary(err) {
		err = nil
	}
	return Outcome{Err: err}
}
