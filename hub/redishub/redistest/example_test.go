package redistest_test

import (
	"net"
	"testing"

	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

// A test starts its own Redis and connects to it with any client; the
// server is stopped when the test ends.
func ExampleStart() {
	_ = func(t *testing.T) {
		addr, stop := redistest.Start(t)
		defer stop() // optional: the test's cleanup stops it too
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// ... speak RESP to c, or hand addr to a Redis client.
	}
}

// A failure test kills Redis, restarts it empty, or freezes it.
func ExampleServer() {
	_ = func(t *testing.T) {
		srv := redistest.NewServer(t)
		_ = srv.URL() // "redis://127.0.0.1:<port>/0", for the code under test

		srv.Pause() // connections stay open, nothing answers
		srv.Resume()
		srv.Restart() // same port, no data
		srv.Stop()    // every connection breaks at once
	}
}
