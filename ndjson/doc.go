// Package ndjson streams line-delimited JSON: NDJSON
// (application/x-ndjson, the default), JSON Lines (application/jsonl) and
// RFC 7464 JSON text sequences (application/json-seq).
//
// Every record is one compact JSON value ended by LF, and a JSON text
// sequence's record also starts with RS (0x1E). A record never holds a raw
// line break, so a client may split the body on LF and parse each line: in
// a browser, fetch, then response.body through a TextDecoderStream, split
// on "\n" keeping the unfinished tail, and JSON.parse each line.
//
// # Writing
//
// [AppendRecord] appends one record to a byte slice; [Encoder] writes
// records to any io.Writer; [Stream] writes them to an HTTP response on a
// [core.Stream], with its flush policy, write deadlines, lifetime and
// registry, and is safe for concurrent use. [Seq], [Seq2] and [Chan] stream
// what an iterator or a channel produces, and stop when the client leaves.
//
//	func ticks(w http.ResponseWriter, r *http.Request) {
//		c, err := core.NewHTTPConn(w, r)
//		if err != nil {
//			http.Error(w, err.Error(), http.StatusInternalServerError)
//			return
//		}
//		s, err := ndjson.NewStream(c, nil)
//		if err != nil {
//			return // refused by the registry: already answered with 503
//		}
//		defer s.Close()
//		for i := range 3 {
//			if err := s.Encode(map[string]int{"n": i}); err != nil {
//				return // the client left, or a write failed
//			}
//		}
//	}
//
// Values are encoded with encoding/json unless a Marshal function is
// given. Unlike json.Marshal, the default does not escape <, > and & as
// \u003c and so on: the records are read by JSON parsers, not rendered as
// HTML, and the escapes cost bytes. Pass json.Marshal as the Marshal option
// to keep them. The output of a Marshal function is checked: it must be one
// valid JSON value in UTF-8, and line breaks between its tokens (from
// indentation, say) are removed. Anything else is refused with an error
// matching [ErrInvalidJSON], and nothing is sent.
//
// Each record is flushed as it is written, unless [Options.Flush]
// coalesces them. A flush hands bytes to the connection; a proxy between
// server and client may still buffer them. Streams send X-Accel-Buffering:
// no, which nginx honours; other proxies need their own configuration.
//
// # Envelopes: errors after the status, and a clean end
//
// Once the first record is sent, the status is 200 and cannot change, and
// a client cannot tell a complete stream from a connection cut half way:
// both just end. With [Options.Envelope] (or [EncoderOptions.Envelope]),
// records are wrapped so that it can:
//
//	{"result":<value>}            each value given to Encode
//	{"heartbeat":true}            when idle, if Options.Heartbeat is set
//	{"error":{"message":"..."}}   from Stream.Error: the last record
//	{"end":true}                  from Stream.Close: the last record
//
// A stream that the server ends itself (a registry shutdown, the maximum
// lifetime) sends an error record naming the cause. A client reads on
// until an error or end record; input that stops before one is truncated.
// A [Decoder] with [DecoderOptions.Envelope] does exactly that.
//
// Without an envelope, [Stream.Error] can only end the response, which the
// client sees as a normal end.
//
// # Heartbeats
//
// [Options.Heartbeat] is off by default, because many NDJSON readers
// reject blank lines. When set, an idle stream sends a blank line (NDJSON,
// JSON Lines), a lone RS (JSON text sequences: RFC 7464 readers ignore
// repeated RS), or the envelope record {"heartbeat":true}. A heartbeat also
// makes a client that vanished without closing its connection show up as a
// failed write.
//
// # Reading
//
// [NewDecoder] and [Records] read records back: LF or CRLF line ends,
// blank lines skipped, each record at most [DecoderOptions.MaxLineBytes]
// (a longer one gives [ErrLineTooLong]), and RS-separated records for
// JSON text sequences.
package ndjson
