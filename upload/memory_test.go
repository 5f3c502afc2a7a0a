package upload_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/internal/livetest"
)

// These tests move 256 MiB each way through a live server and check that
// the heap does not grow with the size: the bytes stream, they are never
// held.
const (
	bigSize = 256 << 20
	// heapBound is the most the heap may grow over its baseline during a
	// transfer: buffers of the client, the server and this package, and
	// garbage the collector has not reclaimed yet.
	heapBound = 8 << 20
)

// heapWatch samples the heap while a transfer runs.
type heapWatch struct {
	stop, done           chan struct{}
	baseInuse            uint64
	baseAlloc            uint64
	peakInuse, peakAlloc uint64
	samples              int
}

// watchHeap takes a baseline after a collection and samples the heap
// every few milliseconds until check is called.
func watchHeap() *heapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w := &heapWatch{
		stop: make(chan struct{}), done: make(chan struct{}),
		baseInuse: ms.HeapInuse, baseAlloc: ms.HeapAlloc,
		peakInuse: ms.HeapInuse, peakAlloc: ms.HeapAlloc,
	}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
				w.sample()
			}
		}
	}()
	return w
}

func (w *heapWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.peakInuse = max(w.peakInuse, ms.HeapInuse)
	w.peakAlloc = max(w.peakAlloc, ms.HeapAlloc)
	w.samples++
}

// check stops the sampling and fails t if the heap grew past heapBound.
func (w *heapWatch) check(t *testing.T) {
	t.Helper()
	close(w.stop)
	<-w.done
	w.sample()
	inuse := int64(w.peakInuse) - int64(w.baseInuse)
	alloc := int64(w.peakAlloc) - int64(w.baseAlloc)
	t.Logf("heap growth over %d samples: HeapInuse +%.2f MiB, HeapAlloc +%.2f MiB", w.samples, float64(inuse)/(1<<20), float64(alloc)/(1<<20))
	if inuse > heapBound || alloc > heapBound {
		t.Errorf("heap grew by HeapInuse %d, HeapAlloc %d bytes; want at most %d", inuse, alloc, heapBound)
	}
}

// bigClient is a client with larger socket buffers than the default 4 KiB,
// so that moving 256 MiB takes fewer system calls.
func bigClient(t *testing.T) *http.Client {
	tr := &http.Transport{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// patternSum is the sha256 of bigSize bytes of the pattern.
var patternSum = sync.OnceValue(func() string {
	h := sha256.New()
	io.Copy(h, &patternReader{n: bigSize})
	return hex.EncodeToString(h.Sum(nil))
})

func TestUploadConstantMemory(t *testing.T) {
	const b = "bOuNdArY"
	head := "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + b + "--\r\n"
	tests := []struct {
		name   string
		body   func() io.Reader
		length int64 // 0 sends the body chunked
		ctype  string
	}{
		{"raw with length", func() io.Reader { return &patternReader{n: bigSize} }, bigSize, "application/octet-stream"},
		{"multipart chunked", func() io.Reader {
			return io.MultiReader(bytes.NewReader([]byte(head)), &patternReader{n: bigSize}, bytes.NewReader([]byte(tail)))
		}, 0, "multipart/form-data; boundary=" + b},
	}
	want := patternSum()
	srv, _ := livetest.Serve(t, false, uploadHandler(nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := bigClient(t)
			req, err := http.NewRequest(http.MethodPost, srv.URL, tt.body())
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tt.length
			req.Header.Set("Content-Type", tt.ctype)

			watch := watchHeap()
			resp := do(t, client, req)
			var res uploadResult
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
				t.Fatalf("status %d: decoding the answer: %v", resp.StatusCode, err)
			}
			watch.check(t)
			if res.Bytes != bigSize || res.SHA256 != want {
				t.Errorf("server read %d bytes with sha256 %s; want %d bytes, %s", res.Bytes, res.SHA256, bigSize, want)
			}
		})
	}
}

// pattern is the content the tests stream: byte i is i % 251, as the demo
// app's download route sends. table holds it from offset 0 long enough to
// serve any 64 KiB window starting within the first period.
var table = func() []byte {
	b := make([]byte, 251+64<<10)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

// patternReader yields n bytes of the pattern, from offset off.
type patternReader struct{ off, n int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off, 64<<10)]
	copy(p, table[r.off%251:])
	r.off += int64(len(p))
	return len(p), nil
}
