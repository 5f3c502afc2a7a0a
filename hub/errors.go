package hub

import "errors"

// Errors of the hub. They are returned wrapped; match them with errors.Is.
var (
	// ErrInvalidTopic reports a topic name outside [A-Za-z0-9._-]{1,64}
	// (see [ValidTopic]). It comes from client input, so handlers answer
	// it with 400 Bad Request.
	ErrInvalidTopic = errors.New("hub: invalid topic name")

	// ErrInvalidKey reports a [Message.Key] that is not 1 to 128 bytes of
	// printable ASCII (see [ValidKey]). Handlers answer it with 400.
	ErrInvalidKey = errors.New("hub: invalid idempotency key")

	// ErrSlowSubscriber ends a subscription that fell more than
	// [Options.QueueSize] events behind under the [Disconnect] policy.
	ErrSlowSubscriber = errors.New("hub: subscriber too slow")

	// ErrClosed is returned by a [Hub] or [MemoryBackend] after Close, and
	// by a [Subscription] after its Close or its hub's.
	ErrClosed = errors.New("hub: closed")
)
