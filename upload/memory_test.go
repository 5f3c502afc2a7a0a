package upload_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

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

// patternSum is the sha256 of bigSize bytes of the pattern.
var patternSum = sync.OnceValue(func() string {
	h := sha256.New()
	io.Copy(h, &livetest.PatternReader{N: bigSize})
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
		{"raw with length", func() io.Reader { return &livetest.PatternReader{N: bigSize} }, bigSize, "application/octet-stream"},
		{"multipart chunked", func() io.Reader {
			return io.MultiReader(bytes.NewReader([]byte(head)), &livetest.PatternReader{N: bigSize}, bytes.NewReader([]byte(tail)))
		}, 0, "multipart/form-data; boundary=" + b},
	}
	want := patternSum()
	srv, _ := livetest.Serve(t, false, uploadHandler(nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := livetest.BigClient(t)
			req, err := http.NewRequest(http.MethodPost, srv.URL, tt.body())
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tt.length
			req.Header.Set("Content-Type", tt.ctype)

			watch := livetest.WatchHeap()
			resp := do(t, client, req)
			var res uploadResult
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
				t.Fatalf("status %d: decoding the answer: %v", resp.StatusCode, err)
			}
			watch.Check(t, heapBound)
			if res.Bytes != bigSize || res.SHA256 != want {
				t.Errorf("server read %d bytes with sha256 %s; want %d bytes, %s", res.Bytes, res.SHA256, bigSize, want)
			}
		})
	}
}
