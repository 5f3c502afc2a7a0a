package streamhertz

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/common/hlog"
)

// TestAbortedDownloadNotLogged checks that a client leaving in the middle
// of a download is not logged as a server error: on every transport,
// hertz's log stays silent when the client resets the connection while
// the handler is still writing. (The standard transport used to log
// "HERTZ: Error=streamhertz: flush: ... connection reset by peer".) The
// server's Shutdown waits for the connection's goroutine, which is where
// hertz logs, so the log is complete when the check runs.
func TestAbortedDownloadNotLogged(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			var log syncBuffer
			hlog.SetOutput(&log)
			defer hlog.SetOutput(io.Discard)

			h := newServer(t, tr)
			ended := make(chan error, 1)
			h.GET("/download", func(c context.Context, ctx *app.RequestContext) {
				s, err := Chunked(c, ctx, nil)
				if err != nil {
					ended <- err
					return
				}
				defer s.Close()
				chunk := bytes.Repeat([]byte("x"), 32<<10)
				for {
					if _, err := s.Write(chunk); err != nil {
						ended <- err
						return
					}
					if err := s.Flush(); err != nil {
						ended <- err
						return
					}
				}
			})
			go h.Run() //nolint:errcheck // returns at Shutdown
			deadline := time.Now().Add(5 * time.Second)
			for !h.IsRunning() {
				if time.Now().After(deadline) {
					t.Fatal("the hertz server did not start within 5s")
				}
				time.Sleep(time.Millisecond)
			}

			c, err := net.Dial("tcp", h.GetOptions().Addr)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprint(c, "GET /download HTTP/1.1\r\nHost: x\r\n\r\n")
			if _, err := io.ReadFull(c, make([]byte, 256<<10)); err != nil {
				t.Fatalf("reading the download: %v", err)
			}
			c.(*net.TCPConn).SetLinger(0) // close with a reset, as an aborted client often does
			c.Close()
			select {
			case <-ended:
			case <-time.After(30 * time.Second):
				t.Fatal("the handler did not see the client leave within 30s")
			}

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := h.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if got := log.String(); strings.Contains(got, "Error") {
				t.Errorf("hertz logged an error for a client that left:\n%s", got)
			}
		})
	}
}
