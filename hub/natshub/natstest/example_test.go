package natstest_test

import (
	"testing"

	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

// A test starts its own nats-server and connects to it with any client;
// the server is stopped when the test ends.
func ExampleStart() {
	_ = func(t *testing.T) {
		url, stop := natstest.Start(t)
		defer stop() // optional: the test's cleanup stops it too
		_ = url      // "nats://127.0.0.1:<port>", for nats.Connect
	}
}

// A failure test kills the server, restarts it with or without its
// JetStream store, or freezes it.
func ExampleServer() {
	_ = func(t *testing.T) {
		srv := natstest.NewServer(t)
		_ = srv.URL()
		_ = srv.Conns() // the client connections, from /connz

		srv.Pause() // connections stay open, nothing answers
		srv.Resume()
		srv.Restart()      // same ports, same store
		srv.RestartEmpty() // same ports, no streams
		srv.Stop()         // every connection breaks at once
	}
}
