package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/sse"
)

// relayEvents is how many chat chunks one relayed answer has.
const relayEvents = 1000

// relayUpstream is an OpenAI Chat Completions answer of relayEvents chunks
// of one token each, led by a comment and ended by [DONE].
var relayUpstream = func() []byte {
	var b bytes.Buffer
	b.WriteString(": PROCESSING\n\n")
	for range relayEvents {
		fmt.Fprintf(&b, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":null}]}\n\n", "token ")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}()

// cpuNanos returns the process's user + system CPU time.
func cpuNanos(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchRelay runs relayOnce in b's loop and reports events/s and the
// process's CPU time per event (cpu-ns/event: the relay goroutine's work
// and the garbage collector's, on whatever cores it ran).
func benchRelay(b *testing.B, relayOnce func() error) {
	b.SetBytes(int64(len(relayUpstream)))
	b.ReportAllocs()
	cpu0 := cpuNanos(b)
	for b.Loop() {
		if err := relayOnce(); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuNanos(b) - cpu0
	events := float64(relayEvents * b.N)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu)/events, "cpu-ns/event")
}

// BenchmarkRelay relays an answer of 1,000 chat chunks to a client stream
// that flushes after every event: streamkit's relay (relay.Copy with
// openai.Chat: a parser with bounds, the translator, an sse.Stream),
// beside the loop a careful user writes by hand: a bufio.Reader with a
// 64 KiB buffer read line by line with ReadSlice, each "data:" line
// forwarded as it came with the blank line that ends its event, through
// the same core.Stream (one write and flush per event), [DONE] ending the
// loop. The hand-written loop checks nothing (no event size bound, no
// error event, no terminator check); it is the floor.
func BenchmarkRelay(b *testing.B) {
	b.Run("streamkit", func(b *testing.B) {
		benchRelay(b, func() error {
			s, err := sse.NewStream(streamtest.Discard{}, &sse.Options{Heartbeat: -1})
			if err != nil {
				return err
			}
			defer s.Close()
			body := io.NopCloser(bytes.NewReader(relayUpstream))
			return relay.Copy(s.Context(), s, body, openai.Chat(), nil)
		})
	})
	b.Run("hand-written", func(b *testing.B) {
		benchRelay(b, func() error {
			cs, err := core.New(streamtest.Discard{}, &core.Options{ContentType: sse.ContentType})
			if err != nil {
				return err
			}
			defer cs.Close()
			return handRelay(cs, bytes.NewReader(relayUpstream))
		})
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

// TestRelayBenchAgree checks that both relays of BenchmarkRelay send the
// same events: relayEvents chunks and [DONE].
func TestRelayBenchAgree(t *testing.T) {
	var sk, hand bytes.Buffer
	s, err := sse.NewStream(bufConn{&sk}, &sse.Options{Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.Copy(s.Context(), s, io.NopCloser(bytes.NewReader(relayUpstream)), openai.Chat(), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	cs, err := core.New(bufConn{&hand}, &core.Options{ContentType: sse.ContentType})
	if err != nil {
		t.Fatal(err)
	}
	if err := handRelay(cs, bytes.NewReader(relayUpstream)); err != nil {
		t.Fatal(err)
	}
	cs.Close()
	for name, out := range map[string]string{"streamkit": sk.String(), "hand-written": hand.String()} {
		if n := bytes.Count([]byte(out), []byte("chat.completion.chunk")); n != relayEvents {
			t.Errorf("%s relayed %d chunks, want %d", name, n, relayEvents)
		}
		if !bytes.Contains([]byte(out), []byte("data: [DONE]\n\n")) {
			t.Errorf("%s did not relay [DONE]", name)
		}
	}
}

// bufConn is streamtest.Discard keeping what is written.
type bufConn struct{ b *bytes.Buffer }

func (bufConn) SetHeader(string, string)         {}
func (bufConn) Start(int) error                  { return nil }
func (c bufConn) Write(p []byte) (int, error)    { return c.b.Write(p) }
func (bufConn) Flush() error                     { return nil }
func (bufConn) SetWriteDeadline(time.Time) error { return nil }
func (bufConn) Context() context.Context         { return context.Background() }
