package streamecho_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/streamkit/streamkit/adapters/streamecho"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/sse"
)

// TestStreamOutlivesHandler: a stream its handler left open (no Close)
// cannot write once the handler has returned: not its heartbeats, not a
// goroutine that kept it. The race detector would flag a write into the
// finished response.
func TestStreamOutlivesHandler(t *testing.T) {
	kept := make(chan *sse.Stream, 1)
	keptRaw := make(chan *core.Stream, 1)
	srv := start(t, setup{tr: http1}, func(e *echo.Echo) {
		e.GET("/helper", func(c echo.Context) error {
			s, err := streamecho.SSE(c, &sse.Options{Heartbeat: time.Millisecond})
			if err != nil {
				t.Errorf("SSE: %v", err)
				close(kept)
				return err
			}
			s.Send(&sse.Event{Data: "one"})
			kept <- s
			return nil
		})
		e.GET("/raw", func(c echo.Context) error {
			cn, err := streamecho.NewConn(c)
			if err != nil {
				t.Errorf("Conn: %v", err)
				close(keptRaw)
				return err
			}
			s, err := core.New(cn, &core.Options{
				Heartbeat:        time.Millisecond,
				HeartbeatMessage: func(b []byte) []byte { return append(b, "beat\n"...) },
			})
			if err != nil {
				t.Errorf("core.New: %v", err)
				close(keptRaw)
				return err
			}
			s.Write([]byte("one\n"))
			keptRaw <- s
			return nil
		})
	})

	resp := srv.get(t, "/helper")
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Errorf("reading the abandoned stream: %v", err)
	}
	if s := <-kept; s != nil {
		time.Sleep(10 * time.Millisecond)
		if err := s.Send(&sse.Event{Data: "late"}); !errors.Is(err, core.ErrClosed) {
			t.Errorf("Send after the handler returned: %v, want ErrClosed", err)
		}
	}

	resp = srv.get(t, "/raw")
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Errorf("reading the abandoned raw stream: %v", err)
	}
	if s := <-keptRaw; s != nil {
		time.Sleep(10 * time.Millisecond)
		if _, err := s.Write([]byte("late\n")); err == nil {
			t.Errorf("Write after the handler returned: no error")
		}
		s.Close()
	}
}

// TestHTTP10 documents what net/http does for an HTTP/1.0 client: no
// chunked encoding, the body ends when the connection closes, and flushes
// still arrive one by one.
func TestHTTP10(t *testing.T) {
	gotFirst := make(chan struct{})
	srv := start(t, setup{tr: http1}, func(e *echo.Echo) {
		e.GET("/events", func(c echo.Context) error {
			s, err := streamecho.SSE(c, nil)
			if err != nil {
				t.Errorf("SSE: %v", err)
				return err
			}
			defer s.Close()
			s.Send(&sse.Event{Data: "one"})
			select {
			case <-gotFirst:
			case <-time.After(5 * time.Second):
				t.Errorf("the HTTP/1.0 client did not get event 1 before event 2 was due")
			}
			return s.Send(&sse.Event{Data: "two"})
		})
	})
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /events HTTP/1.0\r\nHost: test\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Proto != "HTTP/1.0" || len(resp.TransferEncoding) != 0 || resp.ContentLength != -1 {
		t.Errorf("got %s, Transfer-Encoding %v, Content-Length %d; want HTTP/1.0, none, -1 (close-delimited)",
			resp.Proto, resp.TransferEncoding, resp.ContentLength)
	}
	r := sse.NewReader(resp.Body, nil)
	if ev, err := r.Next(); err != nil || ev.Data != "one" {
		t.Fatalf("event 1 = %q, %v", ev.Data, err)
	}
	close(gotFirst)
	if ev, err := r.Next(); err != nil || ev.Data != "two" {
		t.Fatalf("event 2 = %q, %v", ev.Data, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last event: %v, want EOF as the server closes", err)
	}
}

// TestDisconnectDetection measures, for each configuration, how long after
// the client closes its connection the stream is done. The figures go in
// the README; only the conformance suite's budget is asserted.
func TestDisconnectDetection(t *testing.T) {
	for _, s := range []setup{{tr: http1}, {tr: h2c}, {tr: h2tls}, {tr: http1, gzip: true}, {tr: h2c, gzip: true}} {
		t.Run(s.name(), func(t *testing.T) {
			const runs = 5
			var times []time.Duration
			for range runs {
				closedAt := make(chan time.Time, 1)
				took := make(chan time.Duration, 1)
				srv := start(t, s, func(e *echo.Echo) {
					e.GET("/events", func(c echo.Context) error {
						st, err := streamecho.SSE(c, nil)
						if err != nil {
							took <- -1
							return err
						}
						defer st.Close()
						st.Send(&sse.Event{Data: "one"})
						select {
						case <-st.Context().Done():
							took <- time.Since(<-closedAt)
						case <-time.After(5 * time.Second):
							took <- -1
						}
						return nil
					})
				})
				resp := srv.get(t, "/events")
				if _, err := sse.NewReader(resp.Body, nil).Next(); err != nil {
					t.Fatal(err)
				}
				closedAt <- time.Now()
				resp.Body.Close()
				d := <-took
				if d < 0 {
					t.Fatalf("the stream did not notice the client leaving within 5s")
				}
				times = append(times, d)
			}
			slices.Sort(times)
			t.Logf("%s: client close → stream done, %d runs: median %v, min %v, max %v",
				s.name(), runs, times[runs/2], times[0], times[runs-1])
		})
	}
}

// TestConnEndsWithHandler: once the handler chain has returned, the Conn
// itself refuses to write or flush, WriteFlush included, behind the gate
// the middleware closed. A stream's own end usually stops it first; the
// gate holds for a timer that fires as the handler returns.
func TestConnEndsWithHandler(t *testing.T) {
	kept := make(chan core.Conn, 1)
	srv := start(t, setup{tr: http1}, func(r *echo.Echo) {
		r.GET("/conn", func(c echo.Context) error {
			cn, err := streamecho.NewConn(c)
			if err != nil {
				t.Errorf("NewConn: %v", err)
			}
			kept <- cn
			return nil
		})
	})
	resp := srv.get(t, "/conn")
	io.ReadAll(resp.Body) //nolint:errcheck // only the end matters
	resp.Body.Close()
	if cn := <-kept; cn != nil {
		streamtest.CheckEnded(t, cn)
	}
}
