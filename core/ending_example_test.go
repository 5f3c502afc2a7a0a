package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// requestConn is the Conn of one request on a connection that serves many,
// whose context belongs to the connection: it outlives the request. Rather
// than derive a context per request to end with the handler, it is a
// core.EndingConn, and ends the stream itself when the handler returns.
type requestConn struct {
	*streamtest.Recorder
	conn context.Context // the connection's

	mu   sync.Mutex
	over bool   // the handler has returned
	end  func() // ends the stream built on the Conn; nil before New or once called
}

func (c *requestConn) Context() context.Context { return c.conn }

// OnEnd keeps end for finish, or calls it at once if the request is over.
func (c *requestConn) OnEnd(end func()) {
	c.mu.Lock()
	if !c.over {
		c.end = end
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	end()
}

// finish is what the adapter runs once the handler has returned. It calls
// end after unlocking: ending the stream may wait for a write in progress,
// which may be waiting for c.mu.
func (c *requestConn) finish() {
	c.mu.Lock()
	c.over = true
	end := c.end
	c.end = nil
	c.mu.Unlock()
	if end != nil {
		end()
	}
}

// A stream on an EndingConn ends with its request even when the handler
// forgot to close it, while the connection's context goes on.
func ExampleEndingConn() {
	conn, closeConn := context.WithCancel(context.Background())
	defer closeConn()
	c := &requestConn{Recorder: streamtest.NewRecorder(), conn: conn}

	s, err := core.New(c, &core.Options{Heartbeat: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	s.Write([]byte("hello\n")) //nolint:errcheck // the example ends it below
	c.finish()                 // the handler returned without s.Close()

	<-s.Context().Done()
	fmt.Println(errors.Is(s.Err(), core.ErrClientGone), conn.Err() == nil)
	// Output: true true
}
