package core_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// countingObserver is the least an exporter does: a few atomic adds per
// call, and one shared probe, so that the benchmarks measure the hook.
type countingObserver struct {
	opened, first, messages, bytes, ended atomic.Int64
}

func (o *countingObserver) StreamOpened(core.StreamInfo) core.StreamProbe {
	o.opened.Add(1)
	return o
}
func (o *countingObserver) FirstEvent(time.Duration) { o.first.Add(1) }
func (o *countingObserver) Sent(m, b int64)          { o.messages.Add(m); o.bytes.Add(b) }
func (o *countingObserver) Ended(core.StreamEnd)     { o.ended.Add(1) }

// BenchmarkStreamWriteObserved is BenchmarkStreamWrite with an observer
// on the registry: one probe call per flush. Compare the two for the
// hook's cost; neither may allocate.
func BenchmarkStreamWriteObserved(b *testing.B) {
	s := benchStream(b, &core.Options{Registry: &core.Registry{Observer: &countingObserver{}}})
	for b.Loop() {
		if _, err := s.Write(message); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamLifecycle opens a stream, writes one message and closes
// it, without an observer and with one: what the hook adds per stream.
func BenchmarkStreamLifecycle(b *testing.B) {
	for _, bc := range []struct {
		name string
		reg  *core.Registry
	}{
		{"observer=none", &core.Registry{}},
		{"observer=counting", &core.Registry{Observer: &countingObserver{}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := streamtest.Discard{}
			o := &core.Options{Registry: bc.reg, Kind: "sse"}
			b.ReportAllocs()
			for b.Loop() {
				s, err := core.New(c, o)
				if err != nil {
					b.Fatal(err)
				}
				s.Write(message)
				s.Close()
			}
		})
	}
}
