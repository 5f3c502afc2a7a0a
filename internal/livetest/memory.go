package livetest

import (
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// HeapWatch samples the heap while a transfer runs, for the tests that
// prove a body streams in constant memory.
type HeapWatch struct {
	stop, done           chan struct{}
	baseInuse            uint64
	baseAlloc            uint64
	peakInuse, peakAlloc uint64
	samples              int
}

// WatchHeap takes a baseline after a collection and samples the heap every
// few milliseconds until Check is called.
func WatchHeap() *HeapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w := &HeapWatch{
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

func (w *HeapWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.peakInuse = max(w.peakInuse, ms.HeapInuse)
	w.peakAlloc = max(w.peakAlloc, ms.HeapAlloc)
	w.samples++
}

// Check stops the sampling and fails t if the heap grew by more than bound
// bytes over its baseline.
func (w *HeapWatch) Check(t testing.TB, bound int64) {
	t.Helper()
	close(w.stop)
	<-w.done
	w.sample()
	inuse := int64(w.peakInuse) - int64(w.baseInuse)
	alloc := int64(w.peakAlloc) - int64(w.baseAlloc)
	t.Logf("heap growth over %d samples: HeapInuse +%.2f MiB, HeapAlloc +%.2f MiB", w.samples, float64(inuse)/(1<<20), float64(alloc)/(1<<20))
	if inuse > bound || alloc > bound {
		t.Errorf("heap grew by HeapInuse %d, HeapAlloc %d bytes; want at most %d", inuse, alloc, bound)
	}
}

// BigClient is a client with larger socket buffers than the default 4 KiB,
// so that moving hundreds of MiB takes fewer system calls.
func BigClient(t testing.TB) *http.Client {
	tr := &http.Transport{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// Pattern is the test body's byte table: byte i of a body is i % 251, the
// demo contract's download, with room to copy 64 KiB from any offset.
var Pattern = func() []byte {
	b := make([]byte, 251+64<<10)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

// PatternReader yields N bytes of [Pattern], from offset Off.
type PatternReader struct{ Off, N int64 }

func (r *PatternReader) Read(p []byte) (int, error) {
	if r.Off >= r.N {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.N-r.Off, 64<<10)]
	copy(p, Pattern[r.Off%251:])
	r.Off += int64(len(p))
	return len(p), nil
}
