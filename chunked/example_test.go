package chunked_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
)

func ExampleNewStream() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		c.SetHeader("Content-Disposition", `attachment; filename="report.csv"`)
		s, err := chunked.NewStream(c, &chunked.Options{ContentType: "text/csv"})
		if err != nil {
			return // refused by the registry: the client got a 503
		}
		defer s.Close()
		fmt.Fprintln(s, "id,name")
		for i, name := range []string{"ada", "grace"} {
			if _, err := fmt.Fprintf(s, "%d,%s\n", i+1, name); err != nil {
				return // the client left
			}
		}
	}
	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodGet, "/report.csv", nil))
	fmt.Println(rec.Header().Get("Content-Type"))
	fmt.Println(rec.Header().Get("Content-Disposition"))
	fmt.Print(rec.Body.String())
	// Output:
	// text/csv
	// attachment; filename="report.csv"
	// id,name
	// 1,ada
	// 2,grace
}

// A page sent in parts: the head goes out at once, so the browser fetches
// the stylesheet while the server is still working on the body, and each
// part follows when it is ready.
func ExampleStream_progressiveHTML() {
	parts := []func() (string, error){
		func() (string, error) { return "<p>Your orders: 3</p>\n", nil },
		func() (string, error) { return "", errors.New("recommendations unavailable") },
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := chunked.NewStream(c, &chunked.Options{ContentType: "text/html; charset=utf-8"})
		if err != nil {
			return
		}
		defer s.Close()
		io.WriteString(s, "<!doctype html>\n<head><link rel=stylesheet href=/app.css></head>\n<body>\n")
		for _, part := range parts {
			html, err := part()
			if err != nil {
				// The status is already 200: report the failure in the page.
				html = "<p class=error>This part could not be loaded.</p>\n"
			}
			if _, err := io.WriteString(s, html); err != nil {
				return
			}
		}
		io.WriteString(s, "</body>\n")
	}
	srv := httptest.NewServer(http.HandlerFunc(handler))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Header.Get("Content-Type"), resp.TransferEncoding)
	fmt.Print(string(body))
	// Output:
	// text/html; charset=utf-8 [chunked]
	// <!doctype html>
	// <head><link rel=stylesheet href=/app.css></head>
	// <body>
	// <p>Your orders: 3</p>
	// <p class=error>This part could not be loaded.</p>
	// </body>
}

func ExampleCopy() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := chunked.NewStream(c, nil)
		if err != nil {
			return
		}
		defer s.Close()
		data := strings.NewReader(strings.Repeat("x", 100_000))
		n, err := chunked.Copy(s, data, &chunked.CopyOptions{
			Total: int64(data.Len()),
			Progress: func(written, total int64) {
				fmt.Printf("progress: %d of %d\n", written, total)
			},
		})
		fmt.Println("copied", n, err)
	}
	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println("client got", rec.Body.Len(), "bytes")
	// Output:
	// progress: 32768 of 100000
	// progress: 65536 of 100000
	// progress: 98304 of 100000
	// progress: 100000 of 100000
	// copied 100000 <nil>
	// client got 100000 bytes
}

// multipartBody returns a form with a text field and then a file.
func multipartBody() (body *bytes.Buffer, contentType string) {
	body = new(bytes.Buffer)
	w := multipart.NewWriter(body)
	w.WriteField("comment", "holiday photos")
	f, _ := w.CreateFormFile("photo", "beach.jpg")
	f.Write([]byte("...jpeg bytes..."))
	w.Close()
	return body, w.FormDataContentType()
}

func ExampleReadUpload() {
	body, ctype := multipartBody()
	u, err := chunked.ReadUpload(body, ctype, int64(body.Len()), &chunked.UploadOptions{MaxBytes: 10 << 20})
	if err != nil {
		fmt.Println(chunked.StatusOf(err), err)
		return
	}
	content, err := io.ReadAll(u)
	fmt.Println(u.FieldName, u.Filename, u.ContentType)
	fmt.Printf("%q %v\n", content, err)
	// Output:
	// photo beach.jpg application/octet-stream
	// "...jpeg bytes..." <nil>
}

func ExampleReadRequest() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		u, err := chunked.ReadRequest(r, &chunked.UploadOptions{MaxBytes: 1 << 20})
		if err != nil {
			http.Error(w, err.Error(), chunked.StatusOf(err))
			return
		}
		n, err := io.Copy(io.Discard, u) // or into a file
		if err != nil {
			http.Error(w, err.Error(), chunked.StatusOf(err))
			return
		}
		fmt.Fprintf(w, "stored %s: %d bytes\n", u.Filename, n)
	}
	body, ctype := multipartBody()
	req := httptest.NewRequest(http.MethodPost, "/upload", body)
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	handler(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())

	// A declared length over the limit is refused before reading.
	req = httptest.NewRequest(http.MethodPost, "/upload", strings.NewReader("x"))
	req.ContentLength = 2 << 20
	rec = httptest.NewRecorder()
	handler(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 200 stored beach.jpg: 16 bytes
	// 413 chunked: upload too large: Content-Length 2097152 is over the limit of 1048576 bytes
}

func ExampleConsume() {
	h := sha256.New()
	body := strings.NewReader("hello, world\n")
	n, err := chunked.Consume(h, body, "text/plain", int64(body.Len()), nil)
	fmt.Println(n, err)
	fmt.Printf("%x\n", h.Sum(nil))
	// Output:
	// 13 <nil>
	// 853ff93762a06ddbf722c4ebe9ddd66d8f63ddaea97f521c3ecc20da7c976020
}

func ExampleStatusOf() {
	_, err := chunked.Consume(io.Discard, strings.NewReader(strings.Repeat("x", 2000)), "", -1,
		&chunked.UploadOptions{MaxBytes: 1000})
	fmt.Println(chunked.StatusOf(err), err)
	_, err = chunked.Consume(io.Discard, strings.NewReader("--b--\r\n"), "multipart/form-data; boundary=b", -1, nil)
	fmt.Println(chunked.StatusOf(err), err)
	// Output:
	// 413 chunked: upload too large: body is over the limit of 1000 bytes
	// 400 chunked: no file part in multipart body
}
