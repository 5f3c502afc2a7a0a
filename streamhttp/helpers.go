package streamhttp

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// errHandlerDone is returned by a Conn's methods once [Middleware] has seen
// its handler return: the response belongs to net/http again.
var errHandlerDone = errors.New("streamhttp: the handler has returned; the response is finished")

// NewConn binds the request to a [core.Conn], for core.New or an encoder's
// NewStream; the helpers ([SSE], [NDJSON], [Chunked]) call it for you. It
// is core.NewHTTPConn, with two additions under [Middleware]: the Conn
// reads the connection's errors and write deadline from the writer the
// middleware saw when a wrapper installed since hides them, and it refuses
// every call once the handler has returned, so that a stream left open
// (after a panic, or a missing Close) cannot write into a finished
// response.
//
// When no layer of w can flush (under http.TimeoutHandler, say), NewConn
// returns an error matching errors.ErrUnsupported and has written nothing,
// so the handler can still answer normally. Call it from the handler's
// goroutine.
func NewConn(w http.ResponseWriter, r *http.Request) (core.Conn, error) {
	c, err := newConn(w, r)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// conn is a core.HTTPConn behind the gate that closes when the handler
// returns.
type conn struct {
	adapter.GatedConn
	rq *request
}

func newConn(w http.ResponseWriter, r *http.Request) (*conn, error) {
	rq := requestOf(r)
	var st *adapter.State
	if rq != nil {
		st = rq.st
	}
	hc, err := st.HTTPConn(w, r, w)
	if err != nil {
		return nil, fmt.Errorf("streamhttp: cannot stream: %w", err)
	}
	c := &conn{GatedConn: adapter.GatedConn{HTTPConn: hc, Closed: errHandlerDone}, rq: rq}
	st.Add(&c.Gate)
	return c, nil
}

// Start implements core.Conn through the gate, and records that the
// status went out.
func (c *conn) Start(status int) error {
	if err := c.Enter(); err != nil {
		return err
	}
	defer c.Leave()
	if c.rq != nil {
		c.rq.started.Store(true)
	}
	return c.HTTPConn.Start(status)
}

// Write implements core.Conn through the gate.
func (c *conn) Write(p []byte) (int, error) {
	if err := c.Enter(); err != nil {
		return 0, err
	}
	defer c.Leave()
	return c.HTTPConn.Write(p)
}

// Flush implements core.Conn through the gate.
func (c *conn) Flush() error {
	if err := c.Enter(); err != nil {
		return err
	}
	defer c.Leave()
	return c.HTTPConn.Flush()
}

// start binds the request, answering 500 with the reason when w cannot
// stream.
func start(w http.ResponseWriter, r *http.Request) (*conn, error) {
	c, err := newConn(w, r)
	if err != nil {
		plainError(w, http.StatusInternalServerError, err.Error())
		return nil, err
	}
	return c, nil
}

// SSE starts a Server-Sent Events stream with sse.NewStream, which sends
// the headers at once. When opts names no registry, the one of
// [Middleware]'s Config is used.
//
// On error the client has already been answered, and the handler should
// just return: with 500 and a plain-text reason when w cannot flush (the
// error matches errors.ErrUnsupported), with 503 and Retry-After when the
// registry refuses the stream (core.ErrTooManyStreams, core.ErrShutdown),
// or not at all when the client left before the headers could be sent.
//
// Call it from the handler's goroutine; the handler must not return before
// it is done with the stream, and should Close it.
func SSE(w http.ResponseWriter, r *http.Request, opts *sse.Options) (*sse.Stream, error) {
	c, err := start(w, r)
	if err != nil {
		return nil, err
	}
	return stateOf(r).SSE(c, opts)
}

// NDJSON starts a stream of JSON records with ndjson.NewStream; the headers
// go out with the first record or Flush. When opts names no registry, the
// one of [Middleware]'s Config is used. On error the client has already
// been answered, as for [SSE], except for an unknown opts.Format, a
// programming error: nothing is sent and the handler should answer it.
// Call it from the handler's goroutine, and Close the stream before the
// handler returns.
func NDJSON(w http.ResponseWriter, r *http.Request, opts *ndjson.Options) (*ndjson.Stream, error) {
	c, err := start(w, r)
	if err != nil {
		return nil, err
	}
	return stateOf(r).NDJSON(c, opts)
}

// Chunked starts a raw streamed body with chunked.NewStream: what is
// written reaches the client as it is written, with no Content-Length. The
// headers go out with the first write or Flush. When opts names no
// registry, the one of [Middleware]'s Config is used. On error the client
// has already been answered, as for [SSE]. Call it from the handler's
// goroutine, and Close the stream before the handler returns.
func Chunked(w http.ResponseWriter, r *http.Request, opts *chunked.Options) (*chunked.Stream, error) {
	c, err := start(w, r)
	if err != nil {
		return nil, err
	}
	return stateOf(r).Chunked(c, opts)
}

// HubTopic returns a handler that serves the topic named by the path
// value topicParam (r.PathValue: a ServeMux wildcard, or a chi URL
// parameter) as Server-Sent Events, with hub.Hub.Subscribe and
// hub.Hub.ServeSSE: the history after the client's Last-Event-ID (read
// with sse.LastEventID) or a resync signal, then live events, until the
// client leaves or the stream is shut down. A topic name the hub does not
// accept (hub.ValidTopic) or a malformed query gets 400 and a plain-text
// reason before anything is streamed, and a hub that cannot serve the
// topic (closed, or its backend down) gets 503. The subscription is made
// before the headers go out, so nothing published once the client sees
// the stream open is missed. An error that ends the stream, other than the
// client leaving, a shutdown or a lifetime, is logged to the middleware's
// Logger. The handler is safe for concurrent use.
//
//	mux.Handle("GET /sse/topics/{topic}", streamhttp.HubTopic(h, "topic", nil))
func HubTopic(h *hub.Hub, topicParam string, opts *sse.Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := adapter.ServeTopic(r.Context(), h, r.PathValue(topicParam), r,
			func() (*sse.Stream, error) { return SSE(w, r, opts) })
		switch {
		case out.Stage == adapter.BadRequest:
			plainError(w, http.StatusBadRequest, out.Err.Error())
		case out.Stage == adapter.Unavailable:
			stateOf(r).Logger().Warn("streamhttp: topic unavailable",
				"method", r.Method, "path", r.URL.Path, "error", out.Err)
			plainError(w, http.StatusServiceUnavailable, "streamhttp: the topic cannot be served now")
		case out.Stage == adapter.Served && out.Err != nil:
			stateOf(r).Logger().Warn("streamhttp: stream ended by an error",
				"method", r.Method, "path", r.URL.Path, "error", out.Err)
		}
	})
}
