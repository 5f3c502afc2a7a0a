package ndjson_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/ndjson"
)

// serve runs handler for one GET and prints the response's Content-Type
// and body.
func serve(handler http.HandlerFunc) {
	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println("Content-Type:", rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
}

func ExampleNewStream() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s, err := ndjson.NewStream(c, nil)
		if err != nil {
			return // refused by the registry: the client got a 503
		}
		defer s.Close()
		for i := 1; i <= 3; i++ {
			if err := s.Encode(map[string]int{"n": i}); err != nil {
				return // the client left
			}
		}
	}
	serve(handler)
	// Output:
	// Content-Type: application/x-ndjson
	// {"n":1}
	// {"n":2}
	// {"n":3}
}

func ExampleStream_Error() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := ndjson.NewStream(c, &ndjson.Options{Envelope: true})
		if err != nil {
			return
		}
		defer s.Close() // sends {"end":true}, unless Error ended the stream
		fetch := func() (string, error) { return "", errors.New("upstream timed out") }
		s.Encode("first")
		second, err := fetch()
		if err != nil {
			s.Error(err) // the status is already 200: tell the client in band
			return
		}
		s.Encode(second)
	}
	serve(handler)
	// Output:
	// Content-Type: application/x-ndjson
	// {"result":"first"}
	// {"error":{"message":"upstream timed out"}}
}

func ExampleSeq() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := ndjson.NewStream(c, &ndjson.Options{Format: ndjson.JSONLines})
		if err != nil {
			return
		}
		defer s.Close()
		ndjson.Seq(s, slices.Values([]string{"a", "b"}))
	}
	serve(handler)
	// Output:
	// Content-Type: application/jsonl
	// "a"
	// "b"
}

func ExampleSeq2() {
	rows := func(yield func(string, error) bool) {
		if !yield("row 1", nil) {
			return
		}
		yield("", errors.New("query failed"))
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := ndjson.NewStream(c, &ndjson.Options{Envelope: true})
		if err != nil {
			return
		}
		defer s.Close()
		if err := ndjson.Seq2(s, rows); err != nil {
			fmt.Println("handler saw:", err)
		}
	}
	serve(handler)
	// Output:
	// handler saw: query failed
	// Content-Type: application/x-ndjson
	// {"result":"row 1"}
	// {"error":{"message":"query failed"}}
}

func ExampleChan() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := ndjson.NewStream(c, &ndjson.Options{Format: ndjson.JSONSeq})
		if err != nil {
			return
		}
		defer s.Close()
		ch := make(chan int)
		go func() {
			defer close(ch)
			for i := range 2 {
				select {
				case ch <- i:
				case <-s.Context().Done(): // the client left: stop producing
					return
				}
			}
		}()
		ndjson.Chan(s, ch)
	}
	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Header().Get("Content-Type"))
	fmt.Printf("%q\n", rec.Body.String())
	// Output:
	// application/json-seq
	// "\x1e0\n\x1e1\n"
}

func ExampleAppendRecord() {
	var buf []byte
	buf, _ = ndjson.AppendRecord(buf, map[string]string{"text": "line 1\nline 2"}, nil, ndjson.Lines)
	// A custom Marshal may indent: the record is compacted onto one line.
	indent := func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
	buf, _ = ndjson.AppendRecord(buf, []int{1, 2}, indent, ndjson.Lines)
	// Output that is not JSON is refused.
	_, err := ndjson.AppendRecord(buf, nil, func(any) ([]byte, error) { return []byte("{oops"), nil }, ndjson.Lines)
	fmt.Print(string(buf))
	fmt.Println(errors.Is(err, ndjson.ErrInvalidJSON))
	// Output:
	// {"text":"line 1\nline 2"}
	// [1,2]
	// true
}

func ExampleNewEncoder() {
	enc := ndjson.NewEncoder(os.Stdout, nil)
	enc.Encode(map[string]any{"name": "<Ada>", "year": 1843})
	enc.Encode([]string{"no", "HTML", "escaping"})
	// Output:
	// {"name":"<Ada>","year":1843}
	// ["no","HTML","escaping"]
}

func ExampleEncoder_End() {
	enc := ndjson.NewEncoder(os.Stdout, &ndjson.EncoderOptions{Envelope: true})
	enc.Encode(1)
	enc.End()
	// Output:
	// {"result":1}
	// {"end":true}
}

func ExampleEncoder_Error() {
	enc := ndjson.NewEncoder(os.Stdout, &ndjson.EncoderOptions{Envelope: true})
	enc.Encode(1)
	enc.Error(errors.New("disk full"))
	// Output:
	// {"result":1}
	// {"error":{"message":"disk full"}}
}

func ExampleFormat_ContentType() {
	for _, f := range []ndjson.Format{ndjson.Lines, ndjson.JSONLines, ndjson.JSONSeq} {
		fmt.Println(f, f.ContentType())
	}
	// Output:
	// ndjson application/x-ndjson
	// jsonl application/jsonl
	// json-seq application/json-seq
}

func ExampleNewDecoder() {
	body := strings.NewReader(`{"result":{"n":1}}` + "\n" +
		`{"heartbeat":true}` + "\n" +
		`{"result":{"n":2}}` + "\n" +
		`{"error":{"message":"server restarting"}}` + "\n")
	d := ndjson.NewDecoder(body, &ndjson.DecoderOptions{Envelope: true})
	for {
		var v struct{ N int }
		err := d.Decode(&v)
		var remote *ndjson.RemoteError
		switch {
		case err == io.EOF:
			fmt.Println("complete")
			return
		case errors.As(err, &remote):
			fmt.Println("server failed:", remote.Message)
			return
		case errors.Is(err, ndjson.ErrTruncated):
			fmt.Println("connection cut: records may be missing")
			return
		case err != nil:
			fmt.Println("bad record:", err)
			return
		}
		fmt.Println("n =", v.N)
	}
	// Output:
	// n = 1
	// n = 2
	// server failed: server restarting
}

func ExampleRecords() {
	body := strings.NewReader("{\"a\":1}\r\n\n{\"b\":2}\n")
	for rec, err := range ndjson.Records[map[string]int](body, nil) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(slices.Collect(maps.Keys(rec)), slices.Collect(maps.Values(rec)))
	}
	// Output:
	// [a] [1]
	// [b] [2]
}
