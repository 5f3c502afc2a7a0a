package relay_test

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/sse"
)

// benchEvents is how many chat chunks one relayed answer has.
const benchEvents = 1000

// benchUpstream is an upstream answer of benchEvents typical chunks (one
// token each), a comment, and [DONE].
var benchUpstream = func() []byte {
	var b bytes.Buffer
	b.WriteString(": PROCESSING\n\n")
	for range benchEvents {
		b.WriteString(chunk("token "))
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}()

// perEvent reports events/s and ns/event for b's loop, each iteration
// relaying one answer.
func perEvent(b *testing.B) {
	events := float64(benchEvents * b.N)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
}

// BenchmarkRelay relays an answer of 1000 chunks to a client stream that
// flushes after every event: streamkit's relay (parser with bounds,
// translator, sse.Stream), beside the loop a careful user writes by hand: a
// bufio.Reader with a 64 KiB buffer read line by line with ReadSlice, each
// "data:" line forwarded as it came, with the blank line that ends its
// event, through the same core.Stream (one write and flush per event), and
// [DONE] ending the loop. Both run on one goroutine, so ns/event is also CPU
// per event.
func BenchmarkRelay(b *testing.B) {
	b.Run("streamkit", func(b *testing.B) {
		b.SetBytes(int64(len(benchUpstream)))
		b.ReportAllocs()
		for b.Loop() {
			s, err := sse.NewStream(streamtest.Discard{}, &sse.Options{Heartbeat: -1})
			if err != nil {
				b.Fatal(err)
			}
			body := io.NopCloser(bytes.NewReader(benchUpstream))
			if err := relay.Copy(s.Context(), s, body, openai.Chat(), nil); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
		perEvent(b)
	})
	b.Run("hand-written", func(b *testing.B) {
		b.SetBytes(int64(len(benchUpstream)))
		b.ReportAllocs()
		for b.Loop() {
			cs, err := core.New(streamtest.Discard{}, &core.Options{ContentType: sse.ContentType})
			if err != nil {
				b.Fatal(err)
			}
			if err := handRelay(cs, bytes.NewReader(benchUpstream)); err != nil {
				b.Fatal(err)
			}
			cs.Close()
		}
		perEvent(b)
	})
}

// handRelay is the hand-written relay loop of BenchmarkRelay.
func handRelay(cs *core.Stream, body io.Reader) error {
	br := bufio.NewReaderSize(body, 64<<10)
	var out []byte
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(line, []byte("data:")) {
			continue
		}
		out = append(append(out[:0], line...), '\n')
		if _, err := cs.Write(out); err != nil {
			return err
		}
		if bytes.Equal(bytes.TrimSpace(line[len("data:"):]), []byte("[DONE]")) {
			return nil
		}
	}
}
