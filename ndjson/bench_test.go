package ndjson_test

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/ndjson"

	"github.com/streamkit/streamkit/internal/livetest"
)

type tick struct {
	N    int    `json:"n"`
	Name string `json:"name"`
	OK   bool   `json:"ok"`
}

var precomputed = []byte(`{"n":1,"name":"tick","ok":true}`)

func BenchmarkStreamEncode(b *testing.B) {
	cases := []struct {
		name string
		opts ndjson.Options
	}{
		{"precomputed", ndjson.Options{Marshal: func(any) ([]byte, error) { return precomputed, nil }}},
		{"precomputed/envelope", ndjson.Options{Envelope: true, Marshal: func(any) ([]byte, error) { return precomputed, nil }}},
		{"precomputed/coalesce", ndjson.Options{Flush: core.FlushPolicy{MaxBytes: 32 << 10, MaxDelay: time.Second}, Marshal: func(any) ([]byte, error) { return precomputed, nil }}},
		{"encoding-json", ndjson.Options{}},
		{"encoding-json/coalesce", ndjson.Options{Flush: core.FlushPolicy{MaxBytes: 32 << 10, MaxDelay: time.Second}}},
	}
	v := &tick{N: 1, Name: "tick", OK: true}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, err := ndjson.NewStream(streamtest.Discard{}, &c.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			b.SetBytes(int64(len(precomputed) + 1))
			for b.Loop() {
				if err := s.Encode(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStreamHTTP sends records to a client over a real HTTP/1.1
// connection; the client reads them in the same process.
func BenchmarkStreamHTTP(b *testing.B) {
	for _, coalesce := range []bool{false, true} {
		name := "flush-each"
		opts := &ndjson.Options{}
		if coalesce {
			name = "coalesce-32KiB"
			opts.Flush = core.FlushPolicy{MaxBytes: 32 << 10, MaxDelay: 5 * time.Millisecond}
		}
		b.Run(name, func(b *testing.B) {
			start := make(chan int)
			h := streamHandler(b, opts, func(s *ndjson.Stream, r *http.Request) {
				if s.Flush() != nil {
					return
				}
				n := <-start
				v := &tick{N: 1, Name: "tick", OK: true}
				for range n {
					if s.Encode(v) != nil {
						return
					}
				}
			})
			srv, client := livetest.Serve(b, false, h)
			resp, err := client.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			defer resp.Body.Close()
			b.ReportAllocs()
			b.SetBytes(int64(len(precomputed) + 1))
			b.ResetTimer()
			start <- b.N
			br := bufio.NewReader(resp.Body)
			for range b.N {
				if _, err := br.ReadSlice('\n'); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			io.Copy(io.Discard, br)
		})
	}
}

func BenchmarkAppendRecord(b *testing.B) {
	v := &tick{N: 1, Name: "tick", OK: true}
	buf := make([]byte, 0, 256)
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = ndjson.AppendRecord(buf[:0], v, nil, ndjson.Lines)
		}
	})
	b.Run("precomputed", func(b *testing.B) {
		m := func(any) ([]byte, error) { return precomputed, nil }
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = ndjson.AppendRecord(buf[:0], v, m, ndjson.Lines)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	line := []byte(`{"n":1,"name":"tick","ok":true}` + "\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	r := &repeatReader{line: line}
	d := ndjson.NewDecoder(r, nil)
	var v tick
	for b.Loop() {
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// repeatReader returns line over and over.
type repeatReader struct {
	line []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}
