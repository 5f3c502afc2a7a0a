package upload_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/streamkit/streamkit/upload"
)

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

func ExampleReadFrom() {
	body, ctype := multipartBody()
	u, err := upload.ReadFrom(body, ctype, int64(body.Len()), &upload.Options{MaxBytes: 10 << 20})
	if err != nil {
		fmt.Println(upload.Status(err), err)
		return
	}
	content, err := io.ReadAll(u)
	fmt.Println(u.FieldName, u.Filename, u.ContentType)
	fmt.Printf("%q %v\n", content, err)
	// Output:
	// photo beach.jpg application/octet-stream
	// "...jpeg bytes..." <nil>
}

func ExampleRead() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		u, err := upload.Read(r, &upload.Options{MaxBytes: 1 << 20})
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err))
			return
		}
		n, err := io.Copy(io.Discard, u) // or into a file
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err))
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
	// 413 upload: too large: Content-Length 2097152 is over the limit of 1048576 bytes
}

// Hash an upload as it arrives: Read or ReadFrom, then io.Copy.
func ExampleBody_WriteTo() {
	h := sha256.New()
	body := strings.NewReader("hello, world\n")
	u, err := upload.ReadFrom(body, "text/plain", int64(body.Len()), nil)
	if err != nil {
		fmt.Println(upload.Status(err), err)
		return
	}
	n, err := io.Copy(h, u)
	fmt.Println(n, err)
	fmt.Printf("%x\n", h.Sum(nil))
	// Output:
	// 13 <nil>
	// 853ff93762a06ddbf722c4ebe9ddd66d8f63ddaea97f521c3ecc20da7c976020
}

func ExampleStatus() {
	u, err := upload.ReadFrom(strings.NewReader(strings.Repeat("x", 2000)), "", -1,
		&upload.Options{MaxBytes: 1000})
	if err == nil {
		_, err = io.Copy(io.Discard, u) // the limit is passed while reading
	}
	fmt.Println(upload.Status(err), err)
	_, err = upload.ReadFrom(strings.NewReader("--b--\r\n"), "multipart/form-data; boundary=b", -1, nil)
	fmt.Println(upload.Status(err), err)
	// Output:
	// 413 upload: too large: body is over the limit of 1000 bytes
	// 400 upload: no file part in multipart body
}

// Bound slow bodies: a client that sends nothing for ReadIdleTimeout, or
// falls below MinRate after it, gets 408. On net/http the response
// controller lets the bounds interrupt a read that waits.
func ExampleOptions_readIdleTimeout() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		u, err := upload.Read(r, &upload.Options{
			ReadIdleTimeout: 30 * time.Second,
			MinRate:         1 << 10, // bytes per second, after the 30s grace
			SetReadDeadline: http.NewResponseController(w).SetReadDeadline,
		})
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err))
			return
		}
		n, err := io.Copy(io.Discard, u)
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err)) // 408 for upload.ErrTooSlow
			return
		}
		fmt.Fprintf(w, "%d bytes\n", n)
	}
	srv := httptest.NewServer(http.HandlerFunc(handler))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL, "application/octet-stream", strings.NewReader("prompt"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", string(b))
	fmt.Println(upload.Status(upload.ErrTooSlow))
	// Output:
	// 200 6 bytes
	// 408
}
