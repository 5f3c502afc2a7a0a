package hubtest_test

import (
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
)

// A backend's test runs the suite against fresh instances. This one checks
// the in-memory backend; a Redis backend would connect to a test server and
// use a fresh key prefix per call.
func ExampleTestBackend() {
	_ = func(t *testing.T) {
		hubtest.TestBackend(t, func(t *testing.T, maxEvents int) hub.Backend {
			return hub.NewMemoryBackend(&hub.MemoryOptions{History: hub.History{MaxEvents: maxEvents}})
		})
	}
}
