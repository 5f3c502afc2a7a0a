package streamecho

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
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

// HubTopic returns a handler that serves the topic named by the route
// parameter topicParam as Server-Sent Events, with hub.Hub.Subscribe and
// hub.Hub.ServeSSE: the history after the client's Last-Event-ID (read
// with sse.LastEventID) or a resync signal, then live events, until the
// client leaves or the stream is shut down. A topic name the hub does not
// accept (hub.ValidTopic) or a malformed query gets 400 and a plain-text
// reason before anything is streamed, and a hub that cannot serve the
// topic (closed, or its backend down) gets 503. The subscription is made
// before the headers go out, so nothing published once the client sees
// the stream open is missed. The handler returns the error that ended the
// stream, other than the client leaving, a shutdown or a lifetime: the
// response is committed, so echo's error handler leaves it alone, and
// logging middleware sees it. The handler is safe for concurrent use;
// each request does its work on its own goroutine (the hub runs none per
// subscriber).
//
//	e.GET("/sse/topics/:topic", streamecho.HubTopic(h, "topic", nil))
func HubTopic(h *hub.Hub, topicParam string, opts *sse.Options) echo.HandlerFunc {
	return func(c echo.Context) error {
		out := adapter.ServeTopic(c.Request().Context(), h, c.Param(topicParam), c.Request(),
			func() (*sse.Stream, error) { return SSE(c, opts) })
		switch out.Stage {
		case adapter.BadRequest:
			plainError(c, http.StatusBadRequest, out.Err.Error())
		case adapter.Unavailable:
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
// memory, with upload.Read (call it from the handler's goroutine, which
// must read the Body before it returns): the raw body, or the file part of
// a multipart/form-data body. When the body is refused before reading (a
// Content-Length over opts.MaxBytes, a multipart body without a file part
// or one that cannot be parsed), Upload writes nothing and returns an
// *echo.HTTPError with upload.Status's status (413 or 400) and the reason,
// wrapping the upload error: the handler returns it and echo's error
// handler answers it (which also works under echo's Timeout middleware).
//
// Errors met later, while reading the returned Body, are for the handler
// to answer the same way:
//
//	return echo.NewHTTPError(upload.Status(err), err.Error()).SetInternal(err)
//
// Read the body to its end before streaming a response: until then
// net/http does not notice a client that leaves.
func Upload(c echo.Context, opts *upload.Options) (*upload.Body, error) {
	b, err := upload.Read(c.Request(), adapter.UploadOptions(opts, http.NewResponseController(c.Response()).SetReadDeadline))
	if err != nil {
		return nil, echo.NewHTTPError(upload.Status(err), err.Error()).SetInternal(err)
	}
	return b, nil
}
