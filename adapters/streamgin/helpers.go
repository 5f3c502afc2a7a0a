package streamgin

import (
	"iter"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/internal/adapterkit"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// start binds c, answering 500 with the reason when c.Writer cannot
// stream.
func start(c *gin.Context) (*conn, error) {
	cn, err := newConn(c)
	if err != nil {
		plainError(c, http.StatusInternalServerError, err.Error())
		return nil, err
	}
	return cn, nil
}

// SSE starts a Server-Sent Events stream on c with sse.NewStream, which
// sends the headers at once. When opts names no registry, the one of
// [Middleware]'s Config is used.
//
// On error the client has already been answered, and the handler should
// just return: with 500 and a plain-text reason when c.Writer cannot flush
// (the error matches errors.ErrUnsupported), with 503 and Retry-After when
// the registry refuses the stream (core.ErrTooManyStreams,
// core.ErrShutdown), or not at all when the client left before the headers
// could be sent.
//
// Call it from the handler's goroutine; the handler must not return before
// it is done with the stream, and should Close it. A flush hands the bytes
// to the connection; a proxy in between may still buffer them (see the core
// package).
func SSE(c *gin.Context, opts *sse.Options) (*sse.Stream, error) {
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
// and the handler should answer it.
func NDJSON(c *gin.Context, opts *ndjson.Options) (*ndjson.Stream, error) {
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
func LastEventID(c *gin.Context) string { return sse.LastEventIDFromRequest(c.Request) }

// SSESeq returns a handler that streams the values of the sequence fn
// returns as Server-Sent Events, then closes the stream. The handler is
// safe for concurrent use; it calls fn once per request, on the request's
// goroutine, and ranges over the sequence there.
//
// fn runs first, before anything is sent, so it can check the request: to
// refuse it, answer it (c.String(http.StatusBadRequest, ...), or
// c.Status(http.StatusNoContent) to stop a browser's EventSource) and
// return a nil sequence, or return an error, which is recorded in c.Errors
// (gin's Logger prints them) and, if fn did not answer, gets a plain 500. The sequence
// should stop when c.Request.Context() is done; the handler stops asking
// for values as soon as the client leaves.
//
// A value of type sse.Event or *sse.Event is sent as that event; any other
// value is sent as an event whose data is its JSON (sse.SendJSON). An event
// SSE cannot carry (sse.ErrInvalidField), a value that cannot be
// marshalled or a failed write (a client too slow for its write deadline)
// ends the stream and is recorded in c.Errors; the client leaving, a
// shutdown or a lifetime are ordinary ends and are not.
func SSESeq[T any](fn func(c *gin.Context) (iter.Seq[T], error), opts *sse.Options) gin.HandlerFunc {
	return func(c *gin.Context) {
		out := adapterkit.SSESeq(func() (iter.Seq[T], error) { return fn(c) },
			func() (*sse.Stream, error) { return SSE(c, opts) })
		report(c, out)
	}
}

// NDJSONSeq returns a handler that streams the values of the sequence fn
// returns as JSON records (ndjson.Seq), then closes the stream; in envelope
// mode the end record tells the client the stream is complete. fn is
// called first and may refuse the request, as for [SSESeq].
func NDJSONSeq[T any](fn func(c *gin.Context) (iter.Seq[T], error), opts *ndjson.Options) gin.HandlerFunc {
	return func(c *gin.Context) {
		report(c, adapterkit.NDJSONSeq(func() (iter.Seq[T], error) { return fn(c) },
			func() (*ndjson.Stream, error) { return NDJSON(c, opts) }))
	}
}

// NDJSONChan returns a handler that streams the values received from the
// channel fn returns as JSON records (ndjson.Chan) until it is closed or
// the client leaves, then closes the stream. fn runs on the request's
// goroutine and usually starts the producer goroutine, which owns and
// closes the channel. The producer should stop when
// c.Request.Context() is done: nothing reads the channel after that. fn is
// called first and may refuse the request, as for [SSESeq].
func NDJSONChan[T any](fn func(c *gin.Context) (<-chan T, error), opts *ndjson.Options) gin.HandlerFunc {
	return func(c *gin.Context) {
		report(c, adapterkit.NDJSONChan(func() (<-chan T, error) { return fn(c) },
			func() (*ndjson.Stream, error) { return NDJSON(c, opts) }))
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
//	r.GET("/sse/topics/:topic", streamgin.HubTopic(h, "topic", nil))
func HubTopic(h *hub.Hub, topicParam string, opts *sse.Options) gin.HandlerFunc {
	return func(c *gin.Context) {
		out := adapterkit.ServeTopic(c.Request.Context(), h, c.Param(topicParam), LastEventID(c),
			func() (*sse.Stream, error) { return SSE(c, opts) })
		switch out.Stage {
		case adapterkit.BadTopic:
			plainError(c, http.StatusBadRequest,
				"streamgin: invalid topic name: use 1 to 64 ASCII letters, digits, '.', '_' or '-'")
			return
		case adapterkit.Unavailable:
			c.Error(out.Err) //nolint:errcheck // recorded for gin's logging middleware
			plainError(c, http.StatusServiceUnavailable, "streamgin: the topic cannot be served now")
			return
		}
		report(c, out)
	}
}

// report records how a request of a handler constructor went: an error
// of its fn in c.Errors, answered with 500 unless fn answered; an error
// that ended the stream in c.Errors. A stream that could not be opened has
// been answered already.
func report(c *gin.Context, out adapterkit.Outcome) {
	switch {
	case out.Err == nil || out.Stage == adapterkit.NotOpened:
	case out.Stage == adapterkit.Refused:
		c.Error(out.Err) //nolint:errcheck // recorded for gin's logging middleware
		plainError(c, http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
	default:
		c.Error(out.Err) //nolint:errcheck // recorded for gin's logging middleware
	}
}

// Chunked starts a raw streamed body on c with chunked.NewStream: what is
// written reaches the client as it is written, with no Content-Length. The
// headers go out with the first write or Flush, so the handler may still
// set headers (Content-Disposition) after it. When opts names no registry,
// the one of [Middleware]'s Config is used. On error the client has already
// been answered, as for [SSE]. Call it from the handler's goroutine, and
// Close the stream before the handler returns.
func Chunked(c *gin.Context, opts *chunked.Options) (*chunked.Stream, error) {
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
// or one that cannot be parsed), Upload answers with chunked.StatusOf's
// status (413 or 400) and a plain-text reason, records the error in
// c.Errors and returns it; the handler should just return.
//
// Errors met later, while reading the returned Upload, are for the handler
// to answer: c.String(chunked.StatusOf(err), err.Error()) fits them. Read
// the body to its end before streaming a response: until then net/http
// does not notice a client that leaves.
func Upload(c *gin.Context, opts *chunked.UploadOptions) (*chunked.Upload, error) {
	u, err := chunked.ReadRequest(c.Request, opts)
	if err != nil {
		c.Error(err) //nolint:errcheck // recorded for gin's logging middleware
		plainError(c, chunked.StatusOf(err), err.Error())
		return nil, err
	}
	return u, nil
}
