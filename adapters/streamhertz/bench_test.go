package streamhertz

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// BenchmarkSSE streams b.N events of 64 bytes of data through a live hertz
// server to a client on loopback, flushing every event or coalescing them.
// Allocations count both ends: server and client run in this process.
func BenchmarkSSE(b *testing.B) {
	policies := []struct {
		name  string
		flush core.FlushPolicy
	}{
		{"flush-each", core.FlushPolicy{}},
		{"coalesce-16KiB-1ms", core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: time.Millisecond}},
	}
	data := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tr := range []transport{transports[0], transports[2]} {
		for _, p := range policies {
			b.Run(tr.name+"/"+p.name, func(b *testing.B) {
				h := newServer(b, tr)
				h.GET("/", func(c context.Context, ctx *app.RequestContext) {
					s, err := SSE(c, ctx, &sse.Options{Flush: p.flush, Heartbeat: -1})
					if err != nil {
						b.Error(err)
						return
					}
					defer s.Close()
					ev := &sse.Event{Data: data}
					for range b.N {
						if err := s.Send(ev); err != nil {
							b.Error(err)
							return
						}
					}
				})
				base := startServer(b, h)
				client := newClient(b)
				b.ReportAllocs()
				b.SetBytes(int64(len("data: \n\n") + len(data)))
				b.ResetTimer()
				resp, err := client.Get(base)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					b.Fatal(err)
				}
				if want := int64(b.N) * int64(len("data: \n\n")+len(data)); n != want {
					b.Fatalf("read %d bytes, want %d", n, want)
				}
			})
		}
	}
}
