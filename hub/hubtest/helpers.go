package hubtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
)

// Helpers for tests of code that uses a [hub.Hub], on any backend. Each
// fails the test on an error, bounds its wait, and is safe to call from
// the test's goroutine.

// Context returns a context for hub calls that ends with the test, or
// after 10 seconds.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Subscribe subscribes to topic after last (see [hub.Hub.Subscribe]); the
// subscription is closed when the test ends.
func Subscribe(t testing.TB, h *hub.Hub, topic, last string) *hub.Subscription {
	t.Helper()
	s, err := h.Subscribe(Context(t), topic, last)
	if err != nil {
		t.Fatalf("Subscribe(%q, %q): %v", topic, last, err)
	}
	t.Cleanup(s.Close)
	return s
}

// Publish publishes data to topic as an event of type "note" and returns
// its ID.
func Publish(t testing.TB, h *hub.Hub, topic, data string) string {
	t.Helper()
	id, err := h.Publish(Context(t), topic, hub.Message{Type: "note", Data: data})
	if err != nil {
		t.Fatalf("Publish(%q, %q): %v", topic, data, err)
	}
	return id
}

// PublishN publishes events with data "e<from>" to "e<to>" and returns
// their IDs.
func PublishN(t testing.TB, h *hub.Hub, topic string, from, to int) []string {
	t.Helper()
	var ids []string
	for i := from; i <= to; i++ {
		ids = append(ids, Publish(t, h, topic, fmt.Sprintf("e%d", i)))
	}
	return ids
}

// Next returns the next event of s, waiting up to 10 seconds.
func Next(t testing.TB, s *hub.Subscription) hub.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return e
}

// ExpectNothing checks that s has no event within wait.
func ExpectNothing(t testing.TB, s *hub.Subscription, wait time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if e, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next = %+v, %v; want nothing within %v", e, err, wait)
	}
}
