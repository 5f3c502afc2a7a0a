package demo

import (
	"errors"
	"net/http"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/redishub"
	"github.com/streamkit/streamkit/sse"
)

// PublishStatus is the status to answer a failed hub.Publish with: 400 for
// what the client sent, 503 while the server shuts down or while Redis
// (-redis) or NATS (-nats) does not answer, else 500.
func PublishStatus(err error) int {
	switch {
	case errors.Is(err, hub.ErrInvalidTopic), errors.Is(err, hub.ErrInvalidKey), errors.Is(err, sse.ErrInvalidField), errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, hub.ErrClosed), errors.Is(err, redishub.ErrUnavailable), errors.Is(err, natshub.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
