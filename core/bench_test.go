package core_test

import (
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

var message = []byte("id: 42\nevent: tick\ndata: {\"n\":42,\"text\":\"a pre-encoded message of about one hundred bytes\"}\n\n")

func benchStream(b *testing.B, o *core.Options) *core.Stream {
	s, err := core.New(streamtest.Discard{}, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	b.SetBytes(int64(len(message)))
	b.ReportAllocs()
	return s
}

// BenchmarkStreamWrite writes a pre-encoded message and flushes it: the
// default, latency-first policy. It must not allocate.
func BenchmarkStreamWrite(b *testing.B) {
	s := benchStream(b, &core.Options{Registry: &core.Registry{}})
	for b.Loop() {
		if _, err := s.Write(message); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamWriteCoalesced buffers messages and flushes per 16 KiB.
func BenchmarkStreamWriteCoalesced(b *testing.B) {
	s := benchStream(b, &core.Options{Flush: core.FlushPolicy{MaxBytes: 16 << 10, MaxDelay: time.Second}, Registry: &core.Registry{}})
	for b.Loop() {
		if _, err := s.Write(message); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamAppend encodes into the stream's buffer, as encoders do.
func BenchmarkStreamAppend(b *testing.B) {
	s := benchStream(b, nil)
	enc := func(dst []byte) ([]byte, error) { return append(dst, message...), nil }
	for b.Loop() {
		if err := s.Append(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamWriteParallel has every core write to one stream, as a
// publisher and a heartbeat would.
func BenchmarkStreamWriteParallel(b *testing.B) {
	s := benchStream(b, nil)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Write(message); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
