package streamhertz

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/streamkit/streamkit/sse"
)

// detectRuns is how many times each detection is measured; the median is
// logged.
const detectRuns = 3

// never stands for a disconnect not noticed within the wait.
const never = time.Duration(-1)

// TestDisconnectDetection measures how long a stream takes to notice a
// client that closed its connection, on each transport, in three
// situations: a silent handler (only the context can tell), a handler
// writing every 20ms (the first failed write tells), and an SSE stream
// with a 50ms heartbeat and nothing else to send. It logs the medians for
// the package documentation; it asserts only what the suite asserts, that
// with WithSenseClientDisconnection the context ends within
// streamtest.DisconnectBudget.
func TestDisconnectDetection(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			h := newServer(t, tr)
			closed := make(chan time.Time, 1)
			result := make(chan time.Duration, 1)
			since := func(at time.Time) { result <- at.Sub(<-closed) }
			wait := 300 * time.Millisecond

			h.GET("/silent", func(c context.Context, ctx *app.RequestContext) {
				st := mustStream(t, c, ctx, nil)
				if st == nil {
					return
				}
				defer st.Close()
				st.Write([]byte("one\n")) //nolint:errcheck
				select {
				case <-st.Context().Done():
					since(time.Now())
				case <-time.After(wait):
					<-closed
					result <- never
				}
			})
			h.GET("/writes", func(c context.Context, ctx *app.RequestContext) {
				st := mustStream(t, c, ctx, nil)
				if st == nil {
					return
				}
				defer st.Close()
				msg := []byte(strings.Repeat("w", 59) + "\n")
				for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
					if _, err := st.Write(msg); err != nil {
						since(time.Now())
						return
					}
				}
				<-closed
				result <- never
			})
			h.GET("/heartbeat", func(c context.Context, ctx *app.RequestContext) {
				s, err := SSE(c, ctx, &sse.Options{Heartbeat: 50 * time.Millisecond})
				if err != nil {
					t.Errorf("SSE: %v", err)
					return
				}
				defer s.Close()
				s.Comment("one") //nolint:errcheck
				select {
				case <-s.Context().Done():
					since(time.Now())
				case <-time.After(wait):
					<-closed
					result <- never
				}
			})
			base := startServer(t, h)
			client := newClient(t)

			measure := func(path string) time.Duration {
				var got []time.Duration
				for range detectRuns {
					resp, err := client.Get(base + path)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
						t.Fatal(err)
					}
					at := time.Now()
					resp.Body.Close() // unread body: the client closes the connection
					closed <- at
					d := <-result
					got = append(got, d)
					if d == never {
						break // it will not change: spare the waits
					}
				}
				slices.Sort(got)
				return got[len(got)/2]
			}
			silent := measure("/silent")
			writes := measure("/writes")
			beat := measure("/heartbeat")
			t.Logf("%-15s context done (silent handler): %-12s first failed write (a write every 20ms): %-12s SSE heartbeat 50ms: %s",
				tr.name, show(silent), show(writes), show(beat))
			if tr.sense && (silent == never || silent > 100*time.Millisecond) {
				t.Errorf("with WithSenseClientDisconnection the context ended after %s, want within 100ms", show(silent))
			}
			if writes == never || beat == never {
				t.Errorf("a writing stream did not notice the client leaving within %v", wait)
			}
		})
	}
}

func show(d time.Duration) string {
	if d == never {
		return "never"
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}
