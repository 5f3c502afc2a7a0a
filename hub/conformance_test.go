package hub_test

import (
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
)

func TestMemoryBackendConformance(t *testing.T) {
	hubtest.TestBackend(t, func(t *testing.T, maxEvents int) hub.Backend {
		return hub.NewMemoryBackend(&hub.MemoryOptions{History: hub.History{MaxEvents: maxEvents}})
	})
}
