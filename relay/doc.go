// Package relay streams a language model's answer from an upstream API to
// a client: it reads the upstream's event stream and writes it, translated
// or as it is, to a streamkit event stream, with the guarantees a
// hand-written relay loop usually misses.
//
// # Use
//
// A handler reads its request, builds the upstream request, and calls [Do]
// with a [Translator] for the formats involved (package relay/openai for
// OpenAI's, relay/anthropic for Anthropic's, relay/uistream for the AI
// SDK's UI message stream, and the conversions between them):
//
//	func chat(w http.ResponseWriter, r *http.Request) {
//		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
//		if err != nil { ... 400 ... }
//		c, err := core.NewHTTPConn(w, r)
//		if err != nil { ... 500 ... }
//		req, _ := http.NewRequestWithContext(r.Context(), "POST", upstreamURL, bytes.NewReader(body))
//		req.Header.Set("Authorization", "Bearer "+key)
//		req.Header.Set("Content-Type", "application/json")
//		relay.Do(c, nil, req, openai.Chat(), nil)
//	}
//
// Read the request body to its end first: net/http notices a client that
// disconnects only once the body has been read, so a handler that leaves
// it unread learns of the departure from a failed write instead, up to a
// heartbeat later.
//
// # Guarantees
//
//   - Cancellation both ways. When the client leaves, or a write to it
//     outlasts the stream's write timeout, the upstream request is cancelled
//     and its body closed at once, from a context callback: no read is left
//     waiting. When the upstream ends or fails, the client's stream ends
//     with the right terminal event.
//   - Backpressure. One event is read, translated and sent before the next
//     is read, so the upstream is read no faster than the client drains. No
//     queue, no goroutine per relay.
//   - Heartbeats. The client's stream sends its own heartbeats (see
//     sse.Options.Heartbeat) while the upstream is silent, as it is while a
//     model thinks. The upstream's comments are consumed by the parser and
//     its pings (Anthropic's ping event) by the translator: never forwarded.
//   - Errors in two places. A non-2xx upstream answer, or one that is not
//     an event stream, becomes an ordinary HTTP error before any byte is
//     streamed ([Serve] says which status). After the 200, a broken
//     connection, an upstream error event or a stream that ends without its
//     terminator ([ErrTruncated]) ends the client's stream with its format's
//     error event, never with its success terminator.
//   - Limits. Upstream lines and events are bounded by
//     [Options.MaxEventSize] (8 MiB by default, far past bufio.Scanner's
//     64 KiB), and the whole relay by [Options.MaxDuration].
//   - Hooks. [Options.OnEvent] sees every upstream event (usage chunks for
//     billing, metadata for logs); [Options.Transform] may rewrite or drop
//     one.
//
// # Resumable generations
//
// [Copy] is the loop itself, writing to any [Sender]. [Generations] uses it
// to run an answer to completion on the server, publishing the client's
// events into a hub topic (in memory or on Redis), so that the answer
// outlives its client: a client that reconnects with Last-Event-ID resumes
// with no gap and no duplicate, one without it (the AI SDK's reconnect,
// GET {api}/{chatId}/stream) replays the answer from its start, and
// [Generations.Resume] answers 204 when there is nothing to resume. A
// generation stops only when asked ([Generations.Stop]), never because a
// client left.
package relay
