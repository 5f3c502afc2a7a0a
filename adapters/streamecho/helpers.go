package streamecho

import (
	"errors"
	"io"
	"iter"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/internal/adapterkit"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// start binds c. When the response writer cannot stream, it answers 500
// with the reason in plain text and returns an *echo.HTTPError that carries
// the same reason (and unwraps to the error matching
// errors.ErrUnsupported), so the client gets the reason whether the handler
// returns the error or not.
//
// The answer is written to the writer that cannot flush, past
// echo.Response, so that the response does not count as committed: under
// echo's Timeout middleware that writer is http.TimeoutHandler's buffer,
// which is sent when the handler returns nil and discarded when it returns
// an error, and echo's error handler then answers the returned
// *echo.HTTPError instead of finding the response committed and sending
// nothing.
func start(c echo.Context) (*conn, error) {
	cn, err := newConn(c)
	if err == nil {
		return cn, nil
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		return nil, err
	}
	// No Content-Type: net/http sniffs text/plain for this answer, and
	// echo's error handler, whose answer takes its place when the handler
	// returns the error, sets its own.
	w := c.Response().Writer
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	io.WriteString(w, err.Error()+"\n") //nolint:errcheck // a buffering writer
	return nil, echo.NewHTTPError(http.StatusInternalServerError, err.Error()).SetInternal(err)
}

// SSE starts a Server-Sent Events stream on c with sse.NewStream, which
// sends the headers at once. When opts names no registry, the one of
// [Middleware]'s Config is used.
//
// On error the client has been answered, and the handler should return
// the error (echo's error handler leaves an answered response alone, and
// logging middleware sees the error): with 503 and Retry-After when the
// registry refuses the stream (core.ErrTooManyStreams, core.ErrShutdown),
// not at all when the client left before the headers could be sent, and
// with 500 and the reason when the writer cannot flush, as under echo's
// deprecated Timeout middleware: the error is then an *echo.HTTPError
// matching errors.ErrUnsupported, which echo's error handler renders if the
// handler returns it, and the reason goes out in plain text if it returns
// nil.
//
// Call it from the handler's goroutine; the handler must not return before
// it is done with the stream, and should Close it. A flush hands the bytes
// to the connection; a proxy in between may still buffer them (see the core
// package).
func SSE(c echo.Context, opts *sse.Options) (*sse.Stream, error) {
	cn, err := start(c)
	if err != nil {
		return nil, err
	}
	return stateOf(c).SSE(cn, opts)
}

// NDJSON starts a stream of JSON records on c with ndjson.NewStream; the
// headers go out with the first record or Flush. When opts names no
// registry, the one of [Middleware]'s Config is used. Call it from the
// handler's goroutine, and Close the stream before the handler returns.
//
// On error the client has already been answered, as for [SSE], except for
// an unknown opts.Format, which is a programming error: nothing is sent
// and returning the error lets echo answer it.
func NDJSON(c echo.Context, opts *ndjson.Options) (*ndjson.Stream, error) {
	cn, err := start(c)
	if err != nil {
		return nil, err
	}
	return stateOf(c).NDJSON(cn, opts)
}

// LastEventID returns the ID the client wants to resume after: the
// Last-Event-ID header, else the lastEventId query parameter, else "".
// Values no server could have sent are ignored; see sse.LastEventID. It
// only reads the request, and may be called from any goroutine while the
// handler runs.
func LastEventID(c echo.Context) string { return sse.LastEventIDFromRequest(c.Request()) }

// SSESeq returns a handler that streams the values of the sequence fn
// returns as Server-Sent Events, then closes the stream. The handler is
// safe for concurrent use; it calls fn once per request, on the request's
// goroutine, and ranges over the sequence there.
//
// fn runs first, before anything is sent, so it can check the request. To
// refuse it, return an error, which the handler returns unchanged so that
// echo's error handler answers it (echo.NewHTTPError(http.StatusBadRequest,
// "...") keeps its status), or answer it (c.NoContent(http.StatusNoContent)
// stops a browser's EventSource) and return a nil sequence. The sequence
// should stop when c.Request().Context() is done; the handler stops asking
// for values as soon as the client leaves.
//
// A value of type sse.Event or *sse.Event is sent as that event; any other
// value is sent as an event whose data is its JSON (sse.SendJSON). An event
// SSE cannot carry (sse.ErrInvalidField) ends the stream, and the handler
// returns that error, as it does any error that ends a stream of the
// handler constructors other than the client leaving, a shutdown or a
// lifetime: the response is committed, so echo's error handler leaves it
// alone, and logging middleware sees the error.
func SSESeq[T any](fn func(c echo.Context) (iter.Seq[T], error), opts *sse.Options) echo.HandlerFunc {
	return func(c echo.Context) error {
		return adapterkit.SSESeq(func() (iter.Seq[T], error) { return fn(c) },
			func() (*sse.Stream, error) { return SSE(c, opts) }).Err
	}
}

// NDJSONSeq returns a handler that streams the values of the sequence fn
// returns as JSON records (ndjson.Seq), then closes the stream; in envelope
// mode the end record tells the client the stream is complete. fn is
// called first and may refuse the request, as for [SSESeq].
func NDJSONSeq[T any](fn func(c echo.Context) (iter.Seq[T], error), opts *ndjson.Options) echo.HandlerFunc {
	return func(c echo.Context) error {
		return adapterkit.NDJSONSeq(func() (iter.Seq[T], error) { return fn(c) },
			func() (*ndjson.Stream, error) { return NDJSON(c, opts) }).Err
	}
}

// NDJSONChan returns a handler that streams the values received from the
// channel fn returns as JSON records (ndjson.Chan) until it is closed or
// the client leaves, then closes the stream. fn runs on the request's
// goroutine and usually starts the producer goroutine, which owns and
// closes the channel. The producer should stop when
// c.Request().Context() is done: nothing reads the channel after that. fn
// is called first and may refuse the request, as for [SSESeq].
func NDJSONChan[T any](fn func(c echo.Context) (<-chan T, error), opts *ndjson.Options) echo.HandlerFunc {
	return func(c echo.Context) error {
		return adapterkit.NDJSONChan(func() (<-chan T, error) { return fn(c) },
			func() (*ndjson.Stream, error) { return NDJSON(c, opts) }).Err
	}
}

// HubTopic returns a handler that serves the topic named by the route
// parameter topicParam as Server-Sent Events, with hub.Hub.Subscribe and
// hub.Hub.ServeSSE: the
// history after the client's Last-Event-ID (see [LastEventID]) or a resync
// signal, then live events, until the client leaves or the stream is shut
// down. A topic name the hub does not accept (hub.ValidTopic) gets 400 and
// a plain-text reason before anything is streamed, and a hub that cannot
// serve the topic (closed, or its backend down) gets 503. The subscription
// is made before the headers go out, so nothing published once the client
// sees the stream open is missed. The handler is safe for
// concurrent use; each request does its work on its own goroutine (the
// hub runs none per subscriber).
//
//	e.GET("/sse/topics/:topic", streamecho.HubTopic(h, "topic", nil))
func HubTopic(h *hub.Hub, topicParam string, opts *sse.Options) echo.HandlerFunc {
	return func(c echo.Context) error {
		out := adapterkit.ServeTopic(c.Request().Context(), h, c.Param(topicParam), LastEventID(c),
			func() (*sse.Stream, error) { return SSE(c, opts) })
		switch out.Stage {
		case adapterkit.BadTopic:
			plainError(c, http.StatusBadRequest,
				"streamecho: invalid topic name: use 1 to 64 ASCII letters, digits, '.', '_' or '-'")
		case adapterkit.Unavailable:
			plainError(c, http.StatusServiceUnavailable, "streamecho: the topic cannot be served now")
		}
		return out.Err
	}
}

// Chunked starts a raw streamed body on c with chunked.NewStream: what is
// written reaches the client as it is written, with no Content-Length. The
// headers go out with the first write or Flush, so the handler may still
// set headers (Content-Disposition) after it. When opts names no registry,
// the one of [Middleware]'s Config is used. On error the client has been
// answered, as for [SSE], and the handler should return the error. Call it
// from the handler's goroutine, and Close the stream before the handler
// returns.
func Chunked(c echo.Context, opts *chunked.Options) (*chunked.Stream, error) {
	cn, err := start(c)
	if err != nil {
		return nil, err
	}
	return stateOf(c).Chunked(cn, opts)
}

// Upload starts reading the request body of c as it arrives, in constant
// memory, with chunked.ReadRequest (call it from the handler's goroutine,
// which must read the Upload before it returns): the raw body, or the file part of a
// multipart/form-data body. When the body is refused before reading (a
// Content-Length over opts.MaxBytes, a multipart body without a file part
// or one that cannot be parsed), Upload writes nothing and returns an
// *echo.HTTPError with chunked.StatusOf's status (413 or 400) and the
// reason, wrapping the chunked error: the handler returns it and echo's
// error handler answers it (which also works under echo's Timeout
// middleware).
//
// Errors met later, while reading the returned Upload, are for the handler
// to answer the same way: [UploadError] turns one into that
// *echo.HTTPError. Read the body to its end before streaming a response:
// until then net/http does not notice a client that leaves.
func Upload(c echo.Context, opts *chunked.UploadOptions) (*chunked.Upload, error) {
	u, err := chunked.ReadRequest(c.Request(), opts)
	if err != nil {
		return nil, UploadError(err)
	}
	return u, nil
}

// UploadError returns err, an error of reading an upload, as an
// *echo.HTTPError with the status chunked.StatusOf gives it (413, 400, or
// 500) and err's text as the message; nil for nil. errors.Is still matches
// err's sentinels (chunked.ErrTooLarge and the others) through it.
func UploadError(err error) error {
	if err == nil {
		return nil
	}
	return echo.NewHTTPError(chunked.StatusOf(err), err.Error()).SetInternal(err)
}
