package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unsafe"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/internal/ssefast"
	"github.com/streamkit/streamkit/sse"
)

// DefaultMaxEventSize is the default of [Options.MaxEventSize]: room for
// the largest tool-call chunks models send, far past the 64 KiB at which a
// bufio.Scanner gives up.
const DefaultMaxEventSize = 8 << 20

// maxErrorBody is how much of a non-2xx upstream body is read to find its
// error message.
const maxErrorBody = 16 << 10

// Sender is where a relay writes the client's events. An *sse.Stream is
// one; a [Generation] publishes into a hub topic instead.
type Sender interface {
	Send(e *sse.Event) error
}

// Translator turns one upstream stream into one client stream: it knows
// which upstream events are data, pings, the terminator or an error, and
// how the client's format writes data, its success terminator and its
// in-band error. A Translator holds the state of one stream (a converter
// remembers whether it opened a text part, say); make a new one for each.
// The relay calls its methods from one goroutine.
type Translator interface {
	// Event handles one upstream event, sending what the client gets
	// (nothing for a ping, several events for some conversions) through
	// s. It reports done when ev was the upstream's terminator: the relay
	// then calls End and reads no further. It returns an error matching
	// [ErrUpstream] (an [*UpstreamError], typically) when ev reports a
	// failure or cannot be understood: the relay then calls Fail. Any
	// other error is the Sender's, and ends the relay.
	//
	// ev and its Data belong to the relay's reader and are valid only
	// during the call (see [sse.Reader.NextRaw]): forward the data with
	// [Forward], and copy whatever must outlive the call.
	Event(s Sender, ev *sse.RawEvent) (done bool, err error)

	// End writes the client format's success terminator.
	End(s Sender) error

	// Fail writes the client format's in-band terminal error for err (see
	// [Describe]), and never a success terminator. A Translator that
	// already sent a terminal failure (a relayed response.failed) sends
	// nothing more.
	Fail(s Sender, err error) error
}

// HeaderSetter is implemented by a [Translator] whose client format needs
// response headers besides the event stream's own (the AI SDK's UI message
// stream header). [Serve] calls SetHeaders before the stream opens.
type HeaderSetter interface {
	SetHeaders(set func(key, value string))
}

// ErrorResponder is implemented by a [Translator] whose client format has
// its own error body (OpenAI's and Anthropic's JSON errors, which their SDKs
// parse). [Serve] uses it to answer a failure before the stream opened;
// without it the answer is plain text.
type ErrorResponder interface {
	ErrorBody(status int, err error) (contentType string, body []byte)
}

// Options configures a relay. The zero value, and a nil *Options, mean the
// defaults: the client stream's defaults (a heartbeat every 15 seconds),
// events up to [DefaultMaxEventSize], no duration limit, no hooks.
type Options struct {
	// Stream configures the client's event stream: heartbeat, write
	// timeout, flush policy, registry. Its heartbeats are what the client
	// sees while the upstream is silent; the upstream's own comments and
	// pings are never forwarded.
	Stream *sse.Options

	// MaxEventSize bounds one upstream line and one upstream event, in
	// bytes. A larger one fails the relay with [ErrEventTooLarge]. 0 means
	// DefaultMaxEventSize (8 MiB).
	MaxEventSize int

	// MaxDuration bounds the whole relay. When it passes, the upstream
	// request is cancelled and the client gets the in-band error of
	// [ErrMaxDuration]. 0 means no limit.
	MaxDuration time.Duration

	// OnEvent, when set, sees every upstream event as parsed, before
	// Transform: usage, metadata, pings and terminators included. It runs
	// on the relay's goroutine, so a slow hook slows the relay. ev is valid
	// only during the call, as in [Translator].
	OnEvent func(ev *sse.RawEvent)

	// Transform, when set, may rewrite each upstream event in place (its
	// Data replaced by a slice of the hook's own, say), or drop it by
	// returning false, before the Translator sees it. Dropping the
	// upstream's terminator makes the stream end as truncated.
	Transform func(ev *sse.RawEvent) bool
}

func (o *Options) maxEvent() int {
	if o == nil || o.MaxEventSize <= 0 {
		return DefaultMaxEventSize
	}
	return o.MaxEventSize
}

func (o *Options) stream() *sse.Options {
	if o == nil {
		return nil
	}
	return o.Stream
}

// Do sends req with client (nil means http.DefaultClient) and relays the
// answer to the client on c with [Serve]. The request's context is bound to
// the client: when the client leaves, before or during the stream, or a
// write to it times out, the upstream request is cancelled and its body
// closed at once. A request that fails before any answer is answered with
// 502 Bad Gateway, nothing streamed, and returns an error matching
// [ErrUpstream]; a client that left first returns one matching
// core.ErrClientGone.
func Do(c core.Conn, client *http.Client, req *http.Request, tr Translator, opts *Options) error {
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	stop := context.AfterFunc(c.Context(), cancel)
	defer stop()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		if c.Context().Err() != nil {
			return fmt.Errorf("relay: %w", core.ErrClientGone)
		}
		err = fmt.Errorf("%w: request: %w", ErrUpstream, err)
		writeError(c, tr, http.StatusBadGateway, err)
		return err
	}
	return serve(c, resp, tr, opts, cancel)
}

// Serve relays resp, an upstream answer, to the client on c, translating
// its events with tr, and closes resp.Body.
//
// A non-2xx answer, or a 2xx answer that is not an event stream, is
// answered before any byte was streamed with an HTTP error (see
// [ErrorResponder]): 429 and 503 keep their status and Retry-After, other
// 4xx statuses that the client's request may have caused keep theirs, and
// everything else becomes 502 Bad Gateway. Serve then returns the
// [*UpstreamError].
//
// Otherwise it opens the client's event stream (opts.Stream) and copies
// the events with [Copy], bound to the stream's context: when the client
// leaves or a write to it times out, resp.Body is closed at once, which
// cancels the upstream request. It returns nil when the upstream completed
// and the client got all of it, an error matching [ErrUpstream] when the
// upstream failed (the client got the in-band error), or the client
// stream's end otherwise (matching core.ErrClosed). The stream is closed
// before Serve returns.
//
// Only the body is closed on a client's departure: a caller that made the
// request with a context of its own should cancel it too, as [Do] does.
func Serve(c core.Conn, resp *http.Response, tr Translator, opts *Options) error {
	return serve(c, resp, tr, opts, nil)
}

func serve(c core.Conn, resp *http.Response, tr Translator, opts *Options, cancel context.CancelFunc) error {
	if err := checkAnswer(resp); err != nil {
		resp.Body.Close()
		writeError(c, tr, clientStatus(err.Status), err)
		return err
	}
	if h, ok := tr.(HeaderSetter); ok {
		h.SetHeaders(c.SetHeader)
	}
	s, err := sse.NewStream(c, opts.stream())
	if err != nil {
		resp.Body.Close()
		return err
	}
	defer s.Close() //nolint:errcheck // Err records how the stream ended
	body := resp.Body
	if cancel != nil {
		body = cancelingBody{body, cancel}
	}
	err = Copy(s.Context(), s, body, tr, opts)
	if err == nil {
		return nil
	}
	// When the client's stream ended first, that is the reason, whatever
	// the read of the upstream then reported: a request made with the
	// handler's context may see its cancellation before the stream does.
	if serr := s.Err(); serr != nil {
		return fmt.Errorf("relay: %w", serr)
	}
	if cerr := c.Context().Err(); cerr != nil {
		return fmt.Errorf("relay: %w: %w", core.ErrClientGone, cerr)
	}
	return err
}

// cancelingBody cancels the upstream request's context when the relay
// closes the body, so that a transport that is still sending the request,
// or holds the connection, lets go of it too.
type cancelingBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelingBody) Close() error {
	b.cancel()
	return b.ReadCloser.Close()
}

// Copy reads the upstream event stream body, translates each event with tr
// and sends the result to s, until the upstream's terminator (then the
// client's success terminator is sent), a failure of the upstream (then
// the client's in-band error is sent), or the end of ctx. It closes body
// before returning, and at once when ctx ends, from another goroutine: body
// must allow Close during a Read, as HTTP response bodies do.
//
// Copy reads one event at a time and sends it before reading the next, so
// the upstream is read no faster than s accepts: what is in flight is one
// event and the reader's buffer, never a queue. It starts no goroutine.
// Upstream comments are dropped by the parser; lines and events are bounded
// by opts.MaxEventSize.
//
// It returns nil when the upstream completed and its terminator was sent;
// an error matching [ErrUpstream] when the upstream failed and the in-band
// error was sent (or could not be: see the joined error); the Sender's
// error when a send failed; or ctx's cause when ctx ended, except that
// [Options.MaxDuration] is reported as an upstream failure.
func Copy(ctx context.Context, s Sender, body io.ReadCloser, tr Translator, opts *Options) error {
	if opts != nil && opts.MaxDuration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, opts.MaxDuration, ErrMaxDuration)
		defer cancel()
	}
	stop := context.AfterFunc(ctx, func() { body.Close() })
	defer func() {
		stop()
		body.Close()
	}()
	max := opts.maxEvent()
	r := sse.NewReader(body, &sse.ReaderOptions{MaxLineLength: max, MaxEventSize: max})
	var onEvent func(*sse.RawEvent)
	var transform func(*sse.RawEvent) bool
	if opts != nil {
		onEvent, transform = opts.OnEvent, opts.Transform
	}
	for {
		ev, err := r.NextRaw()
		if err != nil {
			return readFailed(ctx, s, tr, err)
		}
		if onEvent != nil || transform != nil {
			// Hooks may write to the event: from here on its data is
			// searched for line breaks when it is forwarded.
			ssefast.Forget(ev)
		}
		if onEvent != nil {
			onEvent(ev)
		}
		if transform != nil && !transform(ev) {
			continue
		}
		done, err := tr.Event(s, ev)
		if err != nil {
			if errors.Is(err, ErrUpstream) {
				return fail(s, tr, err)
			}
			return sendFailed(ctx, err)
		}
		if done {
			if err := tr.End(s); err != nil {
				return sendFailed(ctx, err)
			}
			return nil
		}
	}
}

// Forward sends an event of type typ ("" for a message) whose data is an
// upstream event's data, as a [Translator] does for an event it passes
// through unchanged. To an *sse.Stream it encodes data straight into the
// stream's buffer, without copying it into a string first; to any other
// Sender it sends an sse.Event holding a copy. data is not retained.
func Forward(s Sender, typ string, data []byte) error {
	if st, ok := s.(*sse.Stream); ok {
		return st.Core().Append(func(dst []byte) ([]byte, error) {
			// The view lives only while AppendEvent copies it.
			return sse.AppendEvent(dst, &sse.Event{Type: typ, Data: unsafe.String(unsafe.SliceData(data), len(data))})
		})
	}
	return s.Send(&sse.Event{Type: typ, Data: string(data)})
}

// readFailed ends a relay whose upstream read failed: because ctx ended
// (the client left, or the duration limit), or because the upstream did.
func readFailed(ctx context.Context, s Sender, tr Translator, err error) error {
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		if errors.Is(cause, ErrMaxDuration) {
			return fail(s, tr, ErrMaxDuration)
		}
		return fmt.Errorf("relay: %w", cause)
	}
	switch {
	case err == io.EOF:
		err = ErrTruncated
	case errors.Is(err, sse.ErrEventTooLarge), errors.Is(err, sse.ErrLineTooLong):
		err = ErrEventTooLarge
	default:
		err = fmt.Errorf("%w: %w", ErrUpstream, err)
	}
	return fail(s, tr, err)
}

func fail(s Sender, tr Translator, err error) error {
	if ferr := tr.Fail(s, err); ferr != nil {
		return errors.Join(err, fmt.Errorf("relay: sending the error: %w", ferr))
	}
	return err
}

// sendFailed reports a failed send, preferring the reason the client's
// stream ended when there is one.
func sendFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); !errors.Is(err, cause) {
			return fmt.Errorf("relay: %w: %w", err, cause)
		}
	}
	return fmt.Errorf("relay: %w", err)
}

// checkAnswer returns the error of an answer that is not an event stream,
// having read the start of its body for a message.
func checkAnswer(resp *http.Response) *UpstreamError {
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if ok {
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if mt == "text/event-stream" {
			return nil
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &UpstreamError{Status: resp.StatusCode}
	e.Type, e.Message = errorFromBody(b)
	if ok {
		// A 2xx that is not a stream: an error body, or a server that
		// ignored "stream": true. Either way nothing can be relayed.
		e.Status = http.StatusBadGateway
		if e.Message == "" {
			e.Message = "the upstream answered without an event stream"
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	e.retryAfter = resp.Header.Get("Retry-After")
	return e
}

// errorFromBody finds the type and message of an error body in the shapes
// model APIs use: {"error":{"type","code","message"}} (OpenAI, Anthropic's
// inner object), {"error":"text"}, {"message":"text"}; else the text itself.
func errorFromBody(b []byte) (typ, msg string) {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(b, &v) != nil {
		return "", shorten(strings.TrimSpace(string(b)))
	}
	var inner struct {
		Type    string `json:"type"`
		Code    any    `json:"code"`
		Message string `json:"message"`
	}
	var text string
	switch {
	case json.Unmarshal(v.Error, &inner) == nil:
		typ, msg = inner.Type, inner.Message
		if c, ok := inner.Code.(string); ok && c != "" {
			typ = c
		}
	case json.Unmarshal(v.Error, &text) == nil:
		msg = text
	}
	if msg == "" {
		msg = v.Message
	}
	return shorten(typ), shorten(msg)
}

// clientStatus is the status the client gets for an upstream's non-2xx
// answer: its own when the client's request may be the cause or the client
// should wait and retry, else 502.
func clientStatus(upstream int) int {
	switch upstream {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge,
		http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		return upstream
	}
	return http.StatusBadGateway
}

// WriteError answers the client with an HTTP error for err, a failure of
// the upstream before any byte was streamed (from [Generations.Start], say):
// the status [Serve] would choose for it, and tr's error body (see
// [ErrorResponder]). Call it before anything else was written.
func WriteError(c core.Conn, tr Translator, err error) {
	status := http.StatusBadGateway
	var ue *UpstreamError
	if errors.As(err, &ue) && ue.Status != 0 {
		status = clientStatus(ue.Status)
	}
	writeError(c, tr, status, err)
}

// writeError answers the client with status and err's description, before
// any byte of a stream.
func writeError(c core.Conn, tr Translator, status int, err error) {
	ct, body := "text/plain; charset=utf-8", []byte(nil)
	if er, ok := tr.(ErrorResponder); ok {
		ct, body = er.ErrorBody(status, err)
	} else {
		_, msg := Describe(err)
		body = []byte(msg + "\n")
	}
	var ue *UpstreamError
	if errors.As(err, &ue) && ue.retryAfter != "" && (status == 429 || status == 503) {
		c.SetHeader("Retry-After", ue.retryAfter)
	}
	c.SetHeader("Content-Type", ct)
	c.SetHeader("Cache-Control", "no-store")
	c.SetHeader("X-Content-Type-Options", "nosniff")
	if c.Start(status) != nil {
		return
	}
	c.Write(body) //nolint:errcheck // the client may be gone; nothing else to tell it
	c.Flush()     //nolint:errcheck
}
