package chunked_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

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

func TestDownloadConstantMemory(t *testing.T) {
	var progressed int64
	h := streamHandler(t, nil, func(s *chunked.Stream, r *http.Request) {
		n, err := chunked.Copy(s, &livetest.PatternReader{N: bigSize}, &chunked.CopyOptions{
			Total:    bigSize,
			Progress: func(written, total int64) { progressed = written },
		})
		if err != nil || n != bigSize {
			t.Errorf("Copy = %d, %v; want %d bytes", n, err, bigSize)
		}
	})
	srv, _ := livetest.Serve(t, false, h)
	client := livetest.BigClient(t)

	watch := livetest.WatchHeap()
	resp := get(t, client, srv.URL)
	buf := make([]byte, 64<<10)
	var got int64
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			start := got % 251
			if !bytes.Equal(buf[:n], livetest.Pattern[start:start+int64(n)]) {
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
	watch.Check(t, heapBound)
	if got != bigSize {
		t.Errorf("downloaded %d bytes, want %d", got, bigSize)
	}
	resp.Body.Close()
	if progressed != bigSize {
		t.Errorf("last progress %d, want %d", progressed, bigSize)
	}
}
