package streamhertz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/internal/adapterkit"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// start binds ctx, answering 500 with the reason when it cannot stream.
func start(c context.Context, ctx *app.RequestContext) (*binding, error) {
	b, err := bind(c, ctx)
	if err != nil {
		plainError(ctx, http.StatusInternalServerError, err.Error())
		return nil, err
	}
	return b, nil
}

// SSE starts a Server-Sent Events stream on the request with
// sse.NewStream, which sends the headers at once. When opts names no
// registry, the one of [Middleware]'s Config is used. c and ctx are the
// handler's arguments.
//
// On error the client has already been answered, and the handler should
// just return: with 500 and a plain-text reason when the request cannot be
// streamed (the error matches errors.ErrUnsupported; see [Conn]), with 503
// and Retry-After when the registry refuses the stream
// (core.ErrTooManyStreams, core.ErrShutdown), or not at all when the client
// left before the headers could be sent.
//
// Call it from the handler's goroutine; the handler must not return before
// it is done with the stream, and should Close it. The stream's Context ends
// when the client leaves (with server.WithSenseClientDisconnection(true);
// otherwise a write fails) or when the handler returns. A flush hands the
// bytes to the connection; a proxy in between may still buffer them (see
// the core package).
func SSE(c context.Context, ctx *app.RequestContext, opts *sse.Options) (*sse.Stream, error) {
	b, err := start(c, ctx)
	if err != nil {
		return nil, err
	}
	return sseOn(b, ctx, opts)
}

func sseOn(b *binding, ctx *app.RequestContext, opts *sse.Options) (*sse.Stream, error) {
	return stateOf(ctx).SSE(b, opts)
}

// NDJSON starts a stream of JSON records on the request with
// ndjson.NewStream; the headers go out with the first record or Flush.
// When opts names no registry, the one of [Middleware]'s Config is used.
//
// On error the client has already been answered, as for [SSE], except for
// an unknown opts.Format, which is a programming error: nothing is sent
// and the handler should answer it.
func NDJSON(c context.Context, ctx *app.RequestContext, opts *ndjson.Options) (*ndjson.Stream, error) {
	b, err := start(c, ctx)
	if err != nil {
		return nil, err
	}
	return ndjsonOn(b, ctx, opts)
}

func ndjsonOn(b *binding, ctx *app.RequestContext, opts *ndjson.Options) (*ndjson.Stream, error) {
	return stateOf(ctx).NDJSON(b, opts)
}

// Chunked starts a raw streamed body on the request with
// chunked.NewStream: what is written reaches the client as it is written,
// with no Content-Length (HTTP/1.1 chunked encoding; for an HTTP/1.0
// client, a body ended by closing the connection). The headers go out with
// the first write or Flush, so the handler may still set headers
// (Content-Disposition) after it. When opts names no registry, the one of
// [Middleware]'s Config is used. On error the client has already been
// answered, as for [SSE].
func Chunked(c context.Context, ctx *app.RequestContext, opts *chunked.Options) (*chunked.Stream, error) {
	b, err := start(c, ctx)
	if err != nil {
		return nil, err
	}
	return stateOf(ctx).Chunked(b, opts)
}

// Upload starts reading the request body as it arrives, with
// chunked.ReadUpload: the raw body, or the file part of a
// multipart/form-data body. When the body is refused before reading (a
// Content-Length over opts.MaxBytes, a multipart body without a file part
// or one that cannot be parsed), Upload answers with chunked.StatusOf's
// status (413 or 400) and a plain-text reason, records the error with
// ctx.Error and returns it; the handler should just return. Errors met
// later, while reading the returned Upload, are for the handler to answer:
// ctx.SetConnectionClose(), since the rest of the body is unread, then
// ctx.String(chunked.StatusOf(err), err.Error()).
//
// The body streams only on a server built with server.WithStreamBody(true);
// otherwise hertz has read all of it into memory before the handler runs
// (and refused it past server.WithMaxRequestBodySize). Even with it, hertz
// reads up to that size ahead, and netpoll buffers the body on its own:
// use the standard transport for large uploads. hertz also parses
// multipart forms of known length before the handler, into memory and
// temporary files, unless server.WithDisablePreParseMultipartForm(true) is
// set; Upload refuses such a pre-parsed request with 500 and an error
// matching errors.ErrUnsupported that says so.
func Upload(ctx *app.RequestContext, opts *chunked.UploadOptions) (*chunked.Upload, error) {
	req := &ctx.Request
	if req.HasMultipartForm() {
		err := fmt.Errorf("streamhertz: hertz parsed the multipart form before the handler; "+
			"stream uploads with server.WithDisablePreParseMultipartForm(true): %w", errors.ErrUnsupported)
		ctx.Error(err) //nolint:errcheck // recorded for hertz's logging middleware
		plainError(ctx, http.StatusInternalServerError, err.Error())
		return nil, err
	}
	var body io.Reader
	if req.IsBodyStream() {
		body = req.BodyStream()
	} else {
		body = bytes.NewReader(req.Body())
	}
	u, err := chunked.ReadUpload(body, string(req.Header.ContentType()), int64(req.Header.ContentLength()), opts)
	if err != nil {
		ctx.Error(err) //nolint:errcheck // recorded for hertz's logging middleware
		// The rest of the body is unread: the connection cannot carry
		// another request reliably.
		ctx.SetConnectionClose()
		plainError(ctx, chunked.StatusOf(err), err.Error())
		return nil, err
	}
	return u, nil
}

// LastEventID returns the ID the client wants to resume after: the
// Last-Event-ID header, else the lastEventId query parameter, else "".
// Values no server could have sent are ignored; see sse.LastEventID.
func LastEventID(ctx *app.RequestContext) string {
	return sse.LastEventID(string(ctx.Request.Header.Peek(sse.LastEventIDHeader)), ctx.Query(sse.LastEventIDQuery))
}

// SSESeq returns a handler that streams the values of the sequence fn
// returns as Server-Sent Events, then closes the stream.
//
// fn runs first, before anything is sent, so it can check the request: to
// refuse it, answer it (ctx.String(http.StatusBadRequest, ...), or
// ctx.Status(http.StatusNoContent) to stop a browser's EventSource) and
// return a nil sequence, or return an error, which is recorded with
// ctx.Error and logged and, if fn did not answer, gets a plain 500. The
// context fn receives is the stream's request context: it ends when the
// client leaves or the handler returns, and the sequence should stop then.
// The handler stops asking for values as soon as the stream ends.
//
// A value of type sse.Event or *sse.Event is sent as that event; any other
// value is sent as an event whose data is its JSON (sse.SendJSON). An event
// SSE cannot carry (sse.ErrInvalidField), a value that cannot be
// marshalled or a failed write (a client too slow for its write deadline)
// ends the stream and is recorded and logged; the client leaving, a
// shutdown or a lifetime are ordinary ends and are not.
func SSESeq[T any](fn func(c context.Context, ctx *app.RequestContext) (iter.Seq[T], error), opts *sse.Options) app.HandlerFunc {
	return func(c context.Context, ctx *app.RequestContext) {
		b, err := start(c, ctx)
		if err != nil {
			return
		}
		out := adapterkit.SSESeq(func() (iter.Seq[T], error) { return fn(b.ctx, ctx) },
			func() (*sse.Stream, error) { return sseOn(b, ctx, opts) })
		report(ctx, out)
	}
}

// NDJSONSeq returns a handler that streams the values of the sequence fn
// returns as JSON records (ndjson.Seq), then closes the stream; in envelope
// mode the end record tells the client the stream is complete. fn is
// called first and may refuse the request, as for [SSESeq].
func NDJSONSeq[T any](fn func(c context.Context, ctx *app.RequestContext) (iter.Seq[T], error), opts *ndjson.Options) app.HandlerFunc {
	return func(c context.Context, ctx *app.RequestContext) {
		b, err := start(c, ctx)
		if err != nil {
			return
		}
		report(ctx, adapterkit.NDJSONSeq(func() (iter.Seq[T], error) { return fn(b.ctx, ctx) },
			func() (*ndjson.Stream, error) { return ndjsonOn(b, ctx, opts) }))
	}
}

// NDJSONChan returns a handler that streams the values received from the
// channel fn returns as JSON records (ndjson.Chan) until it is closed or
// the stream ends, then closes the stream. The producer should stop when
// the context fn receives is done: nothing reads the channel after that.
// fn is called first and may refuse the request, as for [SSESeq].
func NDJSONChan[T any](fn func(c context.Context, ctx *app.RequestContext) (<-chan T, error), opts *ndjson.Options) app.HandlerFunc {
	return func(c context.Context, ctx *app.RequestContext) {
		b, err := start(c, ctx)
		if err != nil {
			return
		}
		report(ctx, adapterkit.NDJSONChan(func() (<-chan T, error) { return fn(b.ctx, ctx) },
			func() (*ndjson.Stream, error) { return ndjsonOn(b, ctx, opts) }))
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
// sees the stream open is missed.
//
//	h.GET("/sse/topics/:topic", streamhertz.HubTopic(hb, "topic", nil))
func HubTopic(h *hub.Hub, topicParam string, opts *sse.Options) app.HandlerFunc {
	return func(c context.Context, ctx *app.RequestContext) {
		out := adapterkit.ServeTopic(c, h, ctx.Param(topicParam), LastEventID(ctx),
			func() (*sse.Stream, error) { return SSE(c, ctx, opts) })
		switch out.Stage {
		case adapterkit.BadTopic:
			plainError(ctx, http.StatusBadRequest,
				"streamhertz: invalid topic name: use 1 to 64 ASCII letters, digits, '.', '_' or '-'")
			return
		case adapterkit.Unavailable:
			ctx.Error(out.Err) //nolint:errcheck // recorded for hertz's logging
			plainError(ctx, http.StatusServiceUnavailable, "streamhertz: the topic cannot be served now")
			return
		}
		report(ctx, out)
	}
}

// answered reports whether the handler has set a response of its own.
func answered(ctx *app.RequestContext) bool {
	return ctx.Response.StatusCode() != http.StatusOK ||
		ctx.Response.IsBodyStream() || len(ctx.Response.Body()) > 0
}

// report records and logs how a request of a handler constructor went: an
// error of its fn, answered with 500 unless fn answered, and an error that
// ended the stream. A stream that could not be opened has been answered
// already.
func report(ctx *app.RequestContext, out adapterkit.Outcome) {
	switch {
	case out.Err == nil || out.Stage == adapterkit.NotOpened:
	case out.Stage == adapterkit.Refused:
		failed(ctx, out.Err)
	default:
		ended(ctx, out.Err)
	}
}

// failed handles an error of a handler constructor's fn: recorded, logged,
// and answered with 500 unless fn answered.
func failed(ctx *app.RequestContext, err error) {
	ctx.Error(err) //nolint:errcheck // recorded for hertz's logging middleware
	stateOf(ctx).Logger().Error("streamhertz: refusing to stream",
		"method", string(ctx.Method()), "path", string(ctx.Path()), "error", err)
	if !answered(ctx) {
		plainError(ctx, http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
	}
}

// ended records and logs why a stream served by a handler constructor
// ended, an error that is not an ordinary end (adapterkit.Ordinary).
func ended(ctx *app.RequestContext, err error) {
	ctx.Error(err) //nolint:errcheck // recorded for hertz's logging middleware
	stateOf(ctx).Logger().Warn("streamhertz: stream ended by an error",
		"method", string(ctx.Method()), "path", string(ctx.Path()), "error", err)
}
