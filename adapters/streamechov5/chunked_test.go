package streamechov5_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/upload"
)

func TestChunked(t *testing.T) {
	t.Parallel()
	gotFirst := make(chan struct{})
	srv := start(t, setup{tr: http1, gzip: true}, func(e *echo.Echo) {
		e.GET("/download", func(c *echo.Context) error {
			s, err := streamechov5.Chunked(c, &chunked.Options{ContentType: "text/csv"})
			if err != nil {
				t.Errorf("Chunked: %v", err)
				return err
			}
			defer s.Close()
			c.Response().Header().Set("Content-Disposition", `attachment; filename="rows.csv"`)
			io.WriteString(s, "a,b\n")
			select {
			case <-gotFirst:
			case <-time.After(5 * time.Second):
				t.Errorf("the client did not get row 1 before row 2 was due")
			}
			_, err = io.WriteString(s, "1,2\n")
			return err
		})
	})
	resp := srv.get(t, "/download")
	if got := resp.Header.Get("Content-Type"); got != "text/csv" {
		t.Errorf("Content-Type = %q, want text/csv", got)
	}
	if got := resp.Header.Get("Content-Disposition"); got == "" {
		t.Errorf("Content-Disposition set after Chunked is missing")
	}
	first := make([]byte, 4)
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "a,b\n" {
		t.Fatalf("first row = %q, %v", first, err)
	}
	close(gotFirst)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "1,2\n" {
		t.Errorf("rest = %q, %v; want %q", rest, err, "1,2\n")
	}
}

func TestUpload(t *testing.T) {
	t.Parallel()
	srv := start(t, setup{tr: http1}, func(e *echo.Echo) {
		e.POST("/upload", func(c *echo.Context) error {
			u, err := streamechov5.Upload(c, &upload.Options{MaxBytes: 1 << 10})
			if err != nil {
				return err
			}
			h := sha256.New()
			n, err := io.Copy(h, u)
			if err != nil {
				return echo.NewHTTPError(upload.Status(err), err.Error()).Wrap(err)
			}
			return c.String(http.StatusOK, fmt.Sprintf("%d %s %x", n, u.Filename, h.Sum(nil)[:4]))
		})
	})
	small := strings.Repeat("x", 100)
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte(small)))[:8]
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("note", "hello")
	fw, _ := mw.CreateFormFile("file", "dir/x.txt")
	io.WriteString(fw, small)
	mw.Close()

	cases := []struct {
		name        string
		body        io.Reader
		length      int64 // -1: sent chunked, without Content-Length
		contentType string
		status      int
		want        string
	}{
		{"Raw", strings.NewReader(small), 100, "application/octet-stream", 200, "100  " + sum},
		{"Multipart", bytes.NewReader(form.Bytes()), int64(form.Len()), mw.FormDataContentType(), 200, "100 x.txt " + sum},
		{"DeclaredTooLarge", strings.NewReader(strings.Repeat("x", 2000)), 2000, "application/octet-stream", 413, `{"message":"upload: too large`},
		{"GrowsTooLarge", io.MultiReader(strings.NewReader(strings.Repeat("x", 2000))), -1, "application/octet-stream", 413, `{"message":"upload: too large`},
		{"NoFile", strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b--\r\n"), -1, "multipart/form-data; boundary=b", 400, `{"message":"upload: no file part`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/upload", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tc.length
			req.Header.Set("Content-Type", tc.contentType)
			resp, err := srv.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.HasPrefix(string(body), tc.want) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tc.status, tc.want)
			}
		})
	}
}
