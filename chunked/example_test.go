package chunked_test

import (
	"errors"
	"fmt"
	"io"
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
