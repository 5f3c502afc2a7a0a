// Package sse streams Server-Sent Events exactly as the HTML standard
// specifies them, and parses them the way browsers do.
//
// # Sending
//
// [NewStream] turns a core.Conn (from core.NewHTTPConn, or a framework
// adapter) into an event stream: it sets [ContentType] and the headers that
// keep proxies from buffering, sends the headers at once so that the
// browser's EventSource opens, sends a comment as a heartbeat when the
// stream is idle, and on shutdown or at the end of a maximum lifetime sends a
// farewell with a retry hint so that clients come back later rather than
// all at once.
//
//	func events(w http.ResponseWriter, r *http.Request) {
//		c, err := core.NewHTTPConn(w, r)
//		if err != nil {
//			http.Error(w, err.Error(), http.StatusInternalServerError)
//			return
//		}
//		last, err := sse.LastEventID(r)
//		if err != nil {
//			http.Error(w, err.Error(), http.StatusBadRequest)
//			return
//		}
//		s, err := sse.NewStream(c, nil)
//		if err != nil {
//			return // already answered (503), or the client left
//		}
//		defer s.Close()
//		for e := range updates(s.Context(), last) {
//			if err := s.Send(&e); err != nil {
//				return
//			}
//		}
//	}
//
// One way per job: [Stream.Send] sends an event, encoding straight into the
// stream's buffer without allocating; [SendJSON] sends a value marshalled
// into an event's data (a function, since methods cannot be generic);
// [Stream.Comment] sends a comment. Bytes encoded beforehand with
// [AppendEvent], which is how a hub encodes an event once for all its
// subscribers, go through the escape hatch: [Stream.Core]().Write.
//
// # The wire format
//
// [AppendEvent] writes one "data: " line per line of data, splitting on CR,
// LF and CRLF alike, always with one space after the colon so that data
// starting with a space arrives intact. It refuses an ID or event type that
// contains CR, LF or NUL, or is not UTF-8, with an error wrapping
// [ErrInvalidField], instead of escaping or dropping characters: the value
// could not arrive as it was sent. It writes an id line only for a non-empty
// ID, or when [Event.ResetID] asks for the empty id that resets the
// browser's last event ID, never by accident. Every event except a control
// block (only a comment, retry or id reset) carries at least one data line,
// so that a browser dispatches it: see [Event].
//
// A browser reconnects when a stream ends, even cleanly, sending the last
// ID it saw in the Last-Event-ID header. [LastEventID] reads it (or the
// lastEventId query parameter), ignoring values no server could have sent
// and reporting a malformed query as an error for a 400. To stop
// a browser from reconnecting, answer with [NoContent].
//
// # Parsing
//
// [Reader] is a parser for clients, tests and proxies. It follows the
// standard's parsing rules step by step (byte order mark, the three line
// breaks, UTF-8 decoding with replacement, ignored fields, the retry and id
// rules, and events dropped at the end of the stream), reports events as a
// browser dispatches them, and bounds the memory a stream can make it use.
// [Reader.Next] returns events the caller owns; [Reader.NextRaw] returns
// them without copying their data, valid until the next call, for a proxy
// that forwards each event before reading the next.
//
// # Proxies
//
// A flush hands bytes to the connection; a proxy in between may still hold
// them back. Streams send X-Accel-Buffering: no, which nginx honours; other
// proxies, and compression middleware that does not flush, need their own
// configuration. Heartbeats keep proxies that close idle connections from
// closing the stream.
package sse
