package chunked_test

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/streamkit/streamkit/chunked"

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

func TestDownloadConstantMemory(t *testing.T) {
	var progressed int64
	h := streamHandler(t, nil, func(s *chunked.Stream, r *http.Request) {
		n, err := chunked.Copy(s, &patternReader{n: bigSize}, &chunked.CopyOptions{
			Total:    bigSize,
			Progress: func(written, total int64) { progressed = written },
		})
		if err != nil || n != bigSize {
			t.Errorf("Copy = %d, %v; want %d bytes", n, err, bigSize)
		}
	})
	srv, _ := livetest.Serve(t, false, h)
	client := bigClient(t)

	watch := watchHeap()
	resp := get(t, client, srv.URL)
	buf := make([]byte, 64<<10)
	var got int64
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			start := got % 251
			if !bytes.Equal(buf[:n], table[start:start+int64(n)]) {
				t.Fatalf("wrong bytes at offset %d", got)
			}
			got += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", got, err)
		}
	}
	watch.check(t)
	if got != bigSize {
		t.Errorf("downloaded %d bytes, want %d", got, bigSize)
	}
	resp.Body.Close()
	if progressed != bigSize {
		t.Errorf("last progress %d, want %d", progressed, bigSize)
	}
}
