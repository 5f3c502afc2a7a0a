// Package uistream writes the AI SDK's UI message stream (protocol v1),
// the format the useChat front end reads, and converts model streams to it.
//
// The stream is an event stream whose events each hold one JSON [Part]: a
// start part, text parts (text-start, text-delta, text-end, sharing an id),
// reasoning parts likewise, then finish, then the event data: [DONE]; or an
// error part (errorText) when the answer failed, after which this package
// sends nothing, so that no reader takes the message for complete. The
// response carries the header x-vercel-ai-ui-message-stream: v1 ([Header],
// [Version]).
//
// [Writer] writes one message, opening and closing parts as text arrives.
// [FromOpenAIChat] and [FromAnthropic] are relay translators from an
// upstream model's stream; [ParsePart] decodes a part, for tests and
// clients.
package uistream
