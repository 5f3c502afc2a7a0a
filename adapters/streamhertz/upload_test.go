package streamhertz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/config"

	"github.com/streamkit/streamkit/upload"
)

// pattern is an endless body whose byte i is i % 251, made without
// holding it in memory: each Read copies from one period-aligned table.
type pattern struct{ off int64 }

var patternTable = func() []byte {
	b := make([]byte, 251*256)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

func (p *pattern) Read(b []byte) (int, error) {
	start := int(p.off % 251)
	n := copy(b, patternTable[start:start+min(len(b), len(patternTable)-251)])
	p.off += int64(n)
	return n, nil
}

// patternSum is the answer the upload handler gives for n pattern bytes.
func patternSum(n int64) string {
	h := sha256.New()
	io.Copy(h, io.LimitReader(&pattern{}, n)) //nolint:errcheck
	return fmt.Sprintf(`{"bytes":%d,"sha256":"%x"}`, n, h.Sum(nil))
}

// uploadServer serves POST /upload: the upload's size and SHA-256, with
// Upload's limit set to limit.
func uploadServer(t testing.TB, tr transport, limit int64, extra ...config.Option) string {
	h := newServer(t, tr, append([]config.Option{server.WithStreamBody(true)}, extra...)...)
	h.POST("/upload", uploadHandler(limit))
	return startServer(t, h)
}

// uploadHandler answers an upload with its size and SHA-256, reading it
// with Upload's limit set to limit.
func uploadHandler(limit int64) app.HandlerFunc {
	return uploadHandlerWith(&upload.Options{MaxBytes: limit})
}

func uploadHandlerWith(opts *upload.Options) app.HandlerFunc {
	return func(c context.Context, ctx *app.RequestContext) {
		u, err := Upload(ctx, opts)
		if err != nil {
			return
		}
		sum := sha256.New()
		n, err := io.Copy(sum, u)
		if err != nil {
			ctx.SetConnectionClose()
			ctx.String(upload.Status(err), "%v", err)
			return
		}
		ctx.String(http.StatusOK, `{"bytes":%d,"sha256":"%x"}`, n, sum.Sum(nil))
	}
}

func multipartBody(t *testing.T, withFile bool, content string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("note", "before the file") //nolint:errcheck
	if withFile {
		fw, err := mw.CreateFormFile("file", "data.bin")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, content) //nolint:errcheck
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestUpload(t *testing.T) {
	const limit = 64 << 10
	tr := transports[2]
	base := uploadServer(t, tr, limit, server.WithDisablePreParseMultipartForm(true))
	client := newClient(t)
	mpType, mpBody := multipartBody(t, true, "file content")
	noFileType, noFileBody := multipartBody(t, false, "")
	cases := []struct {
		name        string
		contentType string
		body        io.Reader
		length      int64 // -1: sent chunked, without Content-Length
		status      int
		want        string
	}{
		{"raw", "application/octet-stream", io.LimitReader(&pattern{}, 50000), 50000, 200, patternSum(50000)},
		{"raw without length", "", io.LimitReader(&pattern{}, 50000), -1, 200, patternSum(50000)},
		{"multipart", mpType, bytes.NewReader(mpBody), int64(len(mpBody)), 200,
			fmt.Sprintf(`{"bytes":12,"sha256":"%x"}`, sha256.Sum256([]byte("file content")))},
		{"declared too large", "", io.LimitReader(&pattern{}, limit+1), limit + 1, 413, "upload: too large"},
		{"too large without length", "", io.LimitReader(&pattern{}, limit+1000), -1, 413, "upload: too large"},
		{"multipart without a file", noFileType, bytes.NewReader(noFileBody), int64(len(noFileBody)), 400, "no file part"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, base+"/upload", io.NopCloser(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = c.length
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
				t.Errorf("got %d %q, want %d with %q", resp.StatusCode, b, c.status, c.want)
			}
		})
	}
}

// TestUploadPreParsed checks the clear 500 when hertz has parsed a
// multipart form before the handler.
func TestUploadPreParsed(t *testing.T) {
	base := uploadServer(t, transports[2], 1<<20)
	mpType, mpBody := multipartBody(t, true, "file content")
	resp, err := newClient(t).Post(base+"/upload", mpType, bytes.NewReader(mpBody))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 500 || !strings.Contains(string(b), "WithDisablePreParseMultipartForm(true)") {
		t.Errorf("got %d %q, want 500 naming the option", resp.StatusCode, b)
	}
}

// heapPeak samples the heap until stop is called and returns the highest
// HeapAlloc seen above the level when it started.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak - base
	}
}

// TestUploadLarge streams 64 MiB through Upload and checks that the heap
// stays bounded on the standard transport. It logs netpoll's figure, which
// the handler cannot bound: netpoll reads request bodies into its own
// buffers ahead of the handler.
func TestUploadLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large upload")
	}
	const size = 64 << 20
	const bound = 8 << 20
	want := patternSum(size)
	for _, tr := range []transport{transports[2], transports[0]} {
		t.Run(tr.name, func(t *testing.T) {
			base := uploadServer(t, tr, -1)
			client := newClient(t)
			req, err := http.NewRequest(http.MethodPost, base+"/upload", io.NopCloser(io.LimitReader(&pattern{}, size)))
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = size
			stop := heapPeak()
			resp, err := client.Do(req)
			if err != nil {
				stop()
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			growth := stop()
			if resp.StatusCode != 200 || string(b) != want {
				t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, b, want)
			}
			t.Logf("%s: 64 MiB upload, heap peak %.1f MiB above the start", tr.name, float64(growth)/(1<<20))
			if tr.standard && growth > bound {
				t.Errorf("heap grew by %d MiB during a 64 MiB upload, want under %d MiB", growth>>20, bound>>20)
			}
		})
	}
}
