package streamhertz

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/streamkit/streamkit/core"
)

// TestChunkedFraming reads an HTTP/1.1 stream off the wire: one
// Transfer-Encoding: chunked line and no Content-Length, though the
// handler set a length; each message one chunk, its length in hex, around
// the sizes where the hex grows a digit; the zero-length chunk and the
// trailer the handler set; and the keep-alive connection still usable for
// the next request, which it would not be if any byte of the framing were
// off.
func TestChunkedFraming(t *testing.T) {
	sizes := []int{1, 15, 16, 255, 256, 4095, 4096, 70000}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			h := newServer(t, tr)
			h.GET("/stream", func(c context.Context, ctx *app.RequestContext) {
				ctx.Response.Header.Set("Content-Length", "99")
				if err := ctx.Response.Header.Trailer().Set("X-Checksum", "abc"); err != nil {
					t.Errorf("Trailer().Set: %v", err)
				}
				st := mustStream(t, c, ctx, &core.Options{ContentType: "text/plain"})
				if st == nil {
					return
				}
				defer st.Close()
				for i, n := range sizes {
					if _, err := st.Write([]byte(strings.Repeat(string(rune('a'+i)), n))); err != nil {
						t.Errorf("Write %d bytes: %v", n, err)
					}
				}
			})
			h.GET("/next", func(c context.Context, ctx *app.RequestContext) { ctx.String(http.StatusOK, "next") })
			base := startServer(t, h)
			conn, br := dial(t, base)
			io.WriteString(conn, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n") //nolint:errcheck
			status, err := br.ReadString('\n')
			if err != nil || status != "HTTP/1.1 200 OK\r\n" {
				t.Fatalf("status line %q, %v", status, err)
			}
			hdr, err := textproto.NewReader(br).ReadMIMEHeader()
			if err != nil {
				t.Fatal(err)
			}
			if te := hdr.Values("Transfer-Encoding"); len(te) != 1 || te[0] != "chunked" {
				t.Errorf("Transfer-Encoding %q, want one chunked", te)
			}
			if cl := hdr.Values("Content-Length"); len(cl) != 0 {
				t.Errorf("Content-Length %q, want none on a chunked body", cl)
			}
			for _, k := range []string{"Content-Type", "Cache-Control", "X-Accel-Buffering", "Trailer"} {
				if hdr.Get(k) == "" {
					t.Errorf("header %s missing", k)
				}
			}
			for i, n := range sizes {
				size, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				if want := strconv.FormatInt(int64(n), 16) + "\r\n"; !strings.EqualFold(size, want) {
					t.Fatalf("chunk %d size line %q, want %q", i, size, want)
				}
				data := make([]byte, n+2)
				if _, err := io.ReadFull(br, data); err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				if want := strings.Repeat(string(rune('a'+i)), n) + "\r\n"; string(data) != want {
					t.Fatalf("chunk %d holds %.20q…, want %d bytes of %c and CRLF", i, data, n, 'a'+i)
				}
			}
			var rest []string
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("after the chunks, %q: %v", rest, err)
				}
				rest = append(rest, line)
				if line == "\r\n" {
					break
				}
			}
			if want := []string{"0\r\n", "X-Checksum: abc\r\n", "\r\n"}; strings.Join(rest, "") != strings.Join(want, "") {
				t.Errorf("end of the body %q, want %q", rest, want)
			}
			io.WriteString(conn, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n") //nolint:errcheck
			resp, err := http.ReadResponse(bufio.NewReader(br), nil)
			if err != nil {
				t.Fatalf("the next request on the connection: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "next" {
				t.Errorf("the next request: %d %q, want 200 %q", resp.StatusCode, body, "next")
			}
		})
	}
}

// TestBindingSize keeps the binding, which an idle stream holds for as long
// as it lasts, within its 112-byte size class: a field that pushes it past
// costs every stream 16 bytes more.
func TestBindingSize(t *testing.T) {
	if size := unsafe.Sizeof(binding{}); size > 112 {
		t.Errorf("binding is %d bytes, want at most 112", size)
	}
}
