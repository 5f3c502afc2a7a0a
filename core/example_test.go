package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// A net/http handler that streams three lines, one flush each.
func ExampleNewHTTPConn() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil { // this writer cannot flush: answer normally
			http.Error(w, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		s, err := core.New(c, &core.Options{ContentType: "text/plain; charset=utf-8"})
		if err != nil {
			return
		}
		defer s.Close()
		for i := 1; i <= 3; i++ {
			if _, err := fmt.Fprintf(s, "line %d\n", i); err != nil {
				return // the client left
			}
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, _ := srv.Client().Get(srv.URL)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"), resp.Header.Get("X-Accel-Buffering"))
	fmt.Print(string(body))
	// Output:
	// text/plain; charset=utf-8 no
	// line 1
	// line 2
	// line 3
}

func ExampleNew() {
	rec := streamtest.NewRecorder()
	s, _ := core.New(rec, &core.Options{
		ContentType: "text/plain",
		// Coalesce: send when 4 KiB are buffered or 20 ms after the first
		// unsent message.
		Flush: core.FlushPolicy{MaxBytes: 4096, MaxDelay: 20 * time.Millisecond},
	})
	s.Write([]byte("a\n"))
	s.Write([]byte("b\n"))
	fmt.Printf("flushed %d times before Close\n", rec.Flushes())
	s.Close()
	fmt.Printf("flushed %d times after Close: %q\n", rec.Flushes(), rec.Flushed())
	// Output:
	// flushed 0 times before Close
	// flushed 1 times after Close: "a\nb\n"
}

func ExampleStream_Append() {
	rec := streamtest.NewRecorder()
	s, _ := core.New(rec, nil)
	defer s.Close()
	// Encode straight into the stream's buffer: no allocation, no copy.
	s.Append(func(dst []byte) ([]byte, error) {
		return fmt.Appendf(dst, "n=%d\n", 7), nil
	})
	fmt.Printf("%q\n", rec.Flushed())
	// Output: "n=7\n"
}

func ExampleStream_Context() {
	rec := streamtest.NewRecorder()
	s, _ := core.New(rec, nil)
	rec.Disconnect() // the client goes away
	<-s.Context().Done()
	fmt.Println(errors.Is(s.Err(), core.ErrClientGone))
	// Output: true
}

func ExampleRegistry() {
	reg := &core.Registry{Limit: 1000}
	rec := streamtest.NewRecorder()
	s, _ := core.New(rec, &core.Options{Registry: reg})
	s.Write([]byte("hello\n"))
	s.Close()
	fmt.Printf("%+v\n", reg.Stats())
	// Output: {Active:0 Total:1 Messages:1 Bytes:6 Dropped:0 SlowDisconnects:0 Errors:0}
}

func ExampleRegistry_Shutdown() {
	reg := &core.Registry{ShutdownSpread: time.Millisecond}
	rec := streamtest.NewRecorder()
	s, _ := core.New(rec, &core.Options{
		Registry: reg,
		Farewell: func(dst []byte, cause error) []byte { return append(dst, "bye\n"...) },
	})
	s.Write([]byte("hi\n"))
	// Usually from a signal handler, before http.Server.Shutdown.
	reg.Shutdown(context.Background())
	<-s.Context().Done()
	fmt.Printf("%q %v\n", rec.Flushed(), errors.Is(s.Err(), core.ErrShutdown))
	// Output: "hi\nbye\n" true
}
