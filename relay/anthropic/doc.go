// Package anthropic holds the streaming wire format of Anthropic's
// Messages API, typed, and the relay translator for it.
//
// A streamed message is a series of named events: message_start, then for
// each content block content_block_start, content_block_delta (text_delta,
// input_json_delta, thinking_delta, ...) and content_block_stop, then
// message_delta (stop reason, usage) and message_stop. ping events may come
// anywhere; an error event (overloaded_error, say) may come after the 200;
// and the API may add event types at any time, so unknown types must be
// tolerated. [ParseEvent] decodes an event, [SendEvent] and [SendError]
// write them, and [Messages] relays a stream to a client of the same
// format.
package anthropic
