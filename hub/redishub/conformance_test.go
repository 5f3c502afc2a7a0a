package redishub_test

import (
	"fmt"
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/redishub"
	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

func TestConformance(t *testing.T) {
	srv := redistest.NewServer(t)
	client := newClient(t, srv.Addr(), "")
	n := 0
	hubtest.TestBackend(t, func(t *testing.T, maxEvents int) hub.Backend {
		n++ // a fresh key space for each backend
		b, err := redishub.New(client, &redishub.Options{
			Prefix: fmt.Sprintf("conformance%d:", n),
			MaxLen: maxEvents,
			Logger: quiet,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
