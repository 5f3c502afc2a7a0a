// Package ssefast lets the relay translators forward an event that an
// sse.Reader parsed from a single data line without searching its data for
// line breaks a second time, and, when the upstream sent it exactly as it
// is encoded, without copying it either.
//
// The Reader found that line by its line break, so its data holds no CR or
// LF: encoding it again needs no search, only "data: ", the data and the
// blank line; and when those bytes are what the Reader's buffer holds
// around the data, they are the encoding. What the Reader knows about an
// event stays unexported in package sse, which sets the functions here
// when it is initialised; they are not for use outside streamkit's own
// packages.
//
// The knowledge is tied to the event's Data as the Reader set it, by
// address and length: Data replaced by another slice is searched like any
// data. Bytes written over in place, which the RawEvent contract does not
// allow (Data belongs to the Reader), cannot be seen that way; so the relay
// gives the knowledge up with Forget for every event its user's hooks have
// seen (relay.Options.OnEvent and Transform), and only streamkit's own
// translators, which never write to an event, use AppendData and Wire.
// Whatever the upstream sends, its bytes cannot put a line break into such
// data.
package ssefast

var (
	// AppendData appends the wire form of a message event whose data is
	// ev's Data, ev being an *sse.RawEvent: what sse.AppendEvent appends
	// for an Event with that Data and no other field. When ev is an event
	// a Reader dispatched from a single data line, its Data still the
	// slice the Reader set and not given up with Forget, it does so
	// without searching the data.
	AppendData func(dst []byte, ev any) []byte

	// Wire returns what AppendData would append for ev, when those bytes
	// lie in the Reader's buffer already ("data: ", the data, a blank
	// line; the upstream sent the event in that form), so that it can be
	// written without a copy; else nil. The slice belongs to the Reader,
	// like ev's Data, and must not be modified.
	Wire func(ev any) []byte

	// Forget gives up what the Reader knows about ev, an *sse.RawEvent:
	// AppendData then searches its data like any other, and Wire returns
	// nil. It lasts until the Reader dispatches its next event.
	Forget func(ev any)
)
