// Package openai holds the streaming wire formats of OpenAI's APIs, typed,
// and the relay translators for them.
//
// # Chat Completions
//
// A streamed chat completion is a series of unnamed events, each holding a
// [ChatChunk] as JSON, ended by data: [DONE]. With
// stream_options.include_usage, one chunk with no choices and a [Usage]
// comes just before it. An error after the 200 arrives as an {"error": ...}
// event, which the official SDKs raise. [ParseChatEvent] decodes an event;
// [SendChunk], [SendDone] and [SendError] write them; [Chat] is the
// translator that relays an upstream's stream to a client of the same
// format, ending it with an error event (never [DONE]) when the upstream
// fails.
//
// # Responses
//
// The Responses API streams named events ("response.created",
// "response.output_text.delta", ...) whose JSON carries the same "type" and
// a "sequence_number". A stream ends with response.completed,
// response.incomplete or response.failed; an "error" event reports a
// failure. [ParseResponseEvent] decodes an event, [SendResponseEvent]
// writes one, and [Responses] relays a stream.
package openai
