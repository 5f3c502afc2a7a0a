package streamhertz

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app/server"

	"github.com/streamkit/streamkit/upload"
)

// rawAnswer sends head (and then nothing, or what body writes) to the
// server at base, and returns the first line of the answer.
func rawAnswer(t *testing.T, base, head string, body []byte) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, head) //nolint:errcheck // a failure shows in the answer
	if body != nil {
		c.Write(body) //nolint:errcheck
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return strings.TrimSpace(line)
}

// TestUploadRefusedBeforeBody checks that an upload over the limit is
// refused before its body is sent, on both transports: with
// "Expect: 100-continue" and ContinueLimit, hertz sends no "100 Continue"
// and Upload answers 413 (hertz used to answer "100 Continue" first);
// without it, once the few bytes hertz reads ahead (WithMaxRequestBodySize)
// have come, not 64 KiB later.
func TestUploadRefusedBeforeBody(t *testing.T) {
	const limit = 1 << 20
	for _, tr := range []transport{transports[0], transports[2]} {
		t.Run(tr.name, func(t *testing.T) {
			h := newServer(t, tr, server.WithStreamBody(true), server.WithMaxRequestBodySize(1),
				server.WithDisablePreParseMultipartForm(true))
			h.ContinueHandler = ContinueLimit(limit)
			h.POST("/upload", uploadHandler(limit))
			base := startServer(t, h)
			head := fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n", 4*limit)
			if got := rawAnswer(t, base, head+"Expect: 100-continue\r\n\r\n", nil); !strings.Contains(got, " 413 ") {
				t.Errorf("Expect: 100-continue: %q, want 413", got)
			}
			if got := rawAnswer(t, base, head+"\r\n", make([]byte, 16)); !strings.Contains(got, " 413 ") {
				t.Errorf("16 bytes of the body: %q, want 413", got)
			}
			// Within the limit, the continue goes ahead and the upload is read.
			small := "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
			if got := rawAnswer(t, base, small, nil); !strings.Contains(got, " 100 ") {
				t.Errorf("Expect: 100-continue within the limit: %q, want 100 Continue", got)
			}
		})
	}
}

// TestUploadReadDeadline checks that Upload gives the bounds on slow
// bodies the connection's read deadline: a client that stops sending gets
// 408 on both transports.
func TestUploadReadDeadline(t *testing.T) {
	for _, tr := range []transport{transports[0], transports[2]} {
		t.Run(tr.name, func(t *testing.T) {
			h := newServer(t, tr, server.WithStreamBody(true), server.WithMaxRequestBodySize(1))
			h.POST("/upload", uploadHandlerWith(&upload.Options{ReadIdleTimeout: 200 * time.Millisecond}))
			base := startServer(t, h)
			got := rawAnswer(t, base, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", make([]byte, 10))
			if !strings.Contains(got, " 408 ") {
				t.Errorf("a stalled upload: %q, want 408", got)
			}
		})
	}
}
