package natshub_test

import (
	"fmt"
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

func TestConformance(t *testing.T) {
	srv := natstest.NewServer(t)
	nc := connect(t, srv.URL(), "conformance")
	n := 0
	hubtest.TestBackend(t, func(t *testing.T, maxEvents int) hub.Backend {
		n++ // fresh streams for each backend
		b, err := natshub.New(nc, &natshub.Options{
			Prefix:  fmt.Sprintf("conformance%d", n),
			History: hub.History{MaxEvents: maxEvents},
			Logger:  quiet,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
