package streamhertz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/protocol"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
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
// streamed (the error matches errors.ErrUnsupported; see [NewConn]), with 503
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
// upload.ReadFrom: the raw body, or the file part of a
// multipart/form-data body. When the body is refused before reading (a
// Content-Length over opts.MaxBytes, a multipart body without a file part
// or one that cannot be parsed), Upload answers with upload.Status's
// status (413 or 400) and a plain-text reason, records the error with
// ctx.Error and returns it; the handler should just return. Errors met
// later, while reading the returned Body, are for the handler to answer:
// ctx.SetConnectionClose(), since the rest of the body is unread, then
// ctx.String(upload.Status(err), err.Error()).
//
// A request whose "Expect: 100-continue" the server's ContinueHandler
// refused (see [ContinueLimit]) gets 413 without a read. When opts sets
// ReadIdleTimeout and no SetReadDeadline, the connection's is used.
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
func Upload(ctx *app.RequestContext, opts *upload.Options) (*upload.Body, error) {
	req := &ctx.Request
	if req.HasMultipartForm() {
		err := fmt.Errorf("streamhertz: hertz parsed the multipart form before the handler; "+
			"stream uploads with server.WithDisablePreParseMultipartForm(true): %w", errors.ErrUnsupported)
		ctx.Error(err) //nolint:errcheck // recorded for hertz's logging middleware
		plainError(ctx, http.StatusInternalServerError, err.Error())
		return nil, err
	}
	var body io.Reader
	switch {
	case declined(ctx):
		err := fmt.Errorf("%w: Content-Length %d is over what the server's ContinueHandler accepts",
			upload.ErrTooLarge, req.Header.ContentLength())
		ctx.Error(err) //nolint:errcheck // recorded for hertz's logging middleware
		ctx.SetConnectionClose()
		plainError(ctx, http.StatusRequestEntityTooLarge, err.Error())
		return nil, err
	case req.IsBodyStream():
		body = req.BodyStream()
	default:
		body = bytes.NewReader(req.Body())
	}
	if conn := ctx.GetConn(); conn != nil {
		opts = adapter.UploadOptions(opts, conn.SetReadDeadline)
	}
	u, err := upload.ReadFrom(body, string(req.Header.ContentType()), int64(req.Header.ContentLength()), opts)
	if err != nil {
		ctx.Error(err) //nolint:errcheck // recorded for hertz's logging middleware
		// The rest of the body is unread: the connection cannot carry
		// another request reliably.
		ctx.SetConnectionClose()
		plainError(ctx, upload.Status(err), err.Error())
		return nil, err
	}
	return u, nil
}

// ContinueLimit returns a ContinueHandler for hertz (the route.Engine
// field, h.ContinueHandler on a server.Hertz) that refuses the body of a
// request sent with "Expect: 100-continue" when its Content-Length is over
// maxBytes: hertz then sends no "100 Continue", reads none of the body, and
// runs the handler with an empty body and status 417 preset. [Upload]
// answers such a request with 413 and closes the connection; any other
// handler a large request can reach must refuse it by its Content-Length
// before it reads the body, or it reads an empty one. Requests without
// the header are not affected: hertz reads up to
// min(Content-Length, server.WithMaxRequestBodySize, 8 KiB) of their body
// before any handler or middleware runs, and offers no hook in between
// (see the package documentation, "Uploads").
//
// Give it the largest body any route accepts. It runs on the connection's
// goroutine, once per such request.
func ContinueLimit(maxBytes int64) func(*protocol.RequestHeader) bool {
	return func(h *protocol.RequestHeader) bool {
		return int64(h.ContentLength()) <= maxBytes
	}
}

// declined reports whether hertz left the body of ctx's request unread
// because its ContinueHandler refused the "Expect: 100-continue".
func declined(ctx *app.RequestContext) bool {
	req := &ctx.Request
	return req.MayContinue() && req.Header.ContentLength() > 0 && !req.IsBodyStream() && len(req.Body()) == 0
}

// LastEventID returns the ID the client wants to resume after, by the rule
// of sse.LastEventID: the Last-Event-ID header when it is usable, else the
// lastEventId query parameter when that is usable, else "". Values no
// server could have sent are ignored; a query net/url cannot parse is an
// error, which the handler answers with 400 before streaming. hertz has no
// *http.Request, so this is the one helper of its kind: gin and echo users
// call sse.LastEventID on their request.
func LastEventID(ctx *app.RequestContext) (string, error) {
	return sse.LastEventID(requestOf(ctx))
}

// requestOf returns what sse.LastEventID reads of ctx's request, as an
// *http.Request: the Last-Event-ID header and the raw query.
func requestOf(ctx *app.RequestContext) *http.Request {
	r := &http.Request{Header: http.Header{}, URL: &url.URL{RawQuery: string(ctx.URI().QueryString())}}
	if v := ctx.Request.Header.Peek(sse.LastEventIDHeader); v != nil {
		r.Header.Set(sse.LastEventIDHeader, string(v))
	}
	return r
}

// HubTopic returns a handler that serves the topic named by the route
// parameter topicParam as Server-Sent Events, with hub.Hub.Subscribe and
// hub.Hub.ServeSSE: the history after the client's Last-Event-ID (see
// [LastEventID]) or a resync signal, then live events, until the client
// leaves or the stream is shut down. A topic name the hub does not accept
// (hub.ValidTopic) or a malformed query gets 400 and a plain-text reason
// before anything is streamed, and a hub that cannot serve the topic
// (closed, or its backend down) gets 503. The subscription is made before
// the headers go out, so nothing published once the client sees the
// stream open is missed. An error that ends the stream, other than the
// client leaving, a shutdown or a lifetime, is recorded with ctx.Error and
// logged.
//
//	h.GET("/sse/topics/:topic", streamhertz.HubTopic(hb, "topic", nil))
func HubTopic(h *hub.Hub, topicParam string, opts *sse.Options) app.HandlerFunc {
	return func(c context.Context, ctx *app.RequestContext) {
		out := adapter.ServeTopic(c, h, ctx.Param(topicParam), requestOf(ctx),
			func() (*sse.Stream, error) { return SSE(c, ctx, opts) })
		switch {
		case out.Stage == adapter.BadRequest:
			plainError(ctx, http.StatusBadRequest, out.Err.Error())
		case out.Stage == adapter.Unavailable:
			ctx.Error(out.Err) //nolint:errcheck // recorded for hertz's logging
			plainError(ctx, http.StatusServiceUnavailable, "streamhertz: the topic cannot be served now")
		case out.Stage == adapter.Served && out.Err != nil:
			ctx.Error(out.Err) //nolint:errcheck // recorded for hertz's logging middleware
			stateOf(ctx).Logger().Warn("streamhertz: stream ended by an error",
				"method", string(ctx.Method()), "path", string(ctx.Path()), "error", out.Err)
		}
	}
}
