package sse_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/sse"
)

// A handler that streams two events; httptest's recorder stands in for a
// client.
func ExampleNewStream() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s, err := sse.NewStream(c, &sse.Options{Retry: 3 * time.Second})
		if err != nil {
			return // refused with 503, or the client left
		}
		defer s.Close()
		for i := 1; i <= 2; i++ {
			e := sse.Event{ID: strconv.Itoa(i), Type: "tick", Data: fmt.Sprintf(`{"n":%d}`, i)}
			if err := s.Send(&e); err != nil {
				return // the client left
			}
		}
	}

	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodGet, "/events", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
	fmt.Print(rec.Body.String())
	// Output:
	// 200 text/event-stream; charset=utf-8 no-cache
	// retry: 3000
	//
	// id: 1
	// event: tick
	// data: {"n":1}
	//
	// id: 2
	// event: tick
	// data: {"n":2}
}

// serve runs handler against a recorder and prints the response body.
func serve(handler func(s *sse.Stream)) {
	rec := httptest.NewRecorder()
	c, err := core.NewHTTPConn(rec, httptest.NewRequest(http.MethodGet, "/events", nil))
	if err != nil {
		panic(err)
	}
	s, err := sse.NewStream(c, nil)
	if err != nil {
		panic(err)
	}
	handler(s)
	s.Close()
	fmt.Print(rec.Body.String())
}

func ExampleStream_Send() {
	serve(func(s *sse.Stream) {
		// Data lines are split on CR, LF and CRLF alike.
		s.Send(&sse.Event{ID: "7", Type: "note", Data: "first line\r\nsecond line"})
		// An invalid field is refused, and the stream goes on.
		err := s.Send(&sse.Event{ID: "8\n", Data: "never sent"})
		fmt.Println(err)
	})
	// Output:
	// sse: event id contains a line break: invalid field
	// id: 7
	// event: note
	// data: first line
	// data: second line
}

// An event with data and no other field is a "message" event.
func ExampleStream_Send_data() {
	serve(func(s *sse.Stream) {
		s.Send(&sse.Event{Data: "hello"})
		s.Send(&sse.Event{Data: ""}) // an event with empty data, still dispatched
	})
	// Output:
	// data: hello
	//
	// data:
}

func ExampleStream_Comment() {
	serve(func(s *sse.Stream) {
		s.Comment("clients ignore this\nline by line")
	})
	// Output:
	// : clients ignore this
	// : line by line
}

// A hub encodes an event once and writes the same bytes to every
// subscriber, through the escape hatch: Core().Write.
func ExampleStream_Core() {
	encoded, err := sse.AppendEvent(nil, &sse.Event{ID: "42", Data: "for everyone"})
	if err != nil {
		panic(err)
	}
	for range 2 {
		serve(func(s *sse.Stream) {
			s.Core().Write(encoded)
		})
	}
	// Output:
	// id: 42
	// data: for everyone
	//
	// id: 42
	// data: for everyone
}

// A producer selects on the stream's context so that it stops when the
// client leaves.
func ExampleStream_Context() {
	updates := make(chan string, 2)
	updates <- "a"
	updates <- "b"
	close(updates)
	serve(func(s *sse.Stream) {
		for {
			select {
			case u, ok := <-updates:
				if !ok {
					return
				}
				if err := s.Send(&sse.Event{Data: u}); err != nil {
					return
				}
			case <-s.Context().Done():
				return
			}
		}
	})
	// Output:
	// data: a
	//
	// data: b
}

func ExampleSendJSON() {
	type price struct {
		Symbol string  `json:"symbol"`
		Value  float64 `json:"value"`
	}
	serve(func(s *sse.Stream) {
		sse.SendJSON(s, &sse.Event{Type: "price"}, price{"ACME", 12.5})
	})
	// Output:
	// event: price
	// data: {"symbol":"ACME","value":12.5}
}

// When a client asks to resume after the last event there will ever be,
// 204 tells its EventSource to stop reconnecting.
func ExampleNoContent() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		last, err := sse.LastEventID(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if last == "final" {
			sse.NoContent(c)
			return
		}
		// ... stream as usual
	}

	req := httptest.NewRequest(http.MethodGet, "/events", nil)
	req.Header.Set("Last-Event-ID", "final")
	rec := httptest.NewRecorder()
	handler(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// 204
}

func ExampleAppendEvent() {
	buf, err := sse.AppendEvent(nil, &sse.Event{
		ID:      "1",
		Type:    "update",
		Data:    "  keeps leading spaces\nand: colons",
		Retry:   2500 * time.Millisecond,
		Comment: "comments go first",
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s", buf)
	// Output:
	// : comments go first
	// id: 1
	// event: update
	// retry: 2500
	// data:   keeps leading spaces
	// data: and: colons
}

func ExampleAppendEvent_invalid() {
	buf := []byte("unchanged")
	buf, err := sse.AppendEvent(buf, &sse.Event{Type: "a\x00b"})
	fmt.Println(err)
	fmt.Println(errors.Is(err, sse.ErrInvalidField), string(buf))
	// Output:
	// sse: event type contains a NUL character: invalid field
	// true unchanged
}

// Events that carry only a comment, a retry or an id reset are control
// blocks: browsers apply them but dispatch no event.
func ExampleEvent_control() {
	for _, e := range []sse.Event{
		{Comment: "just a comment"},
		{Retry: 10 * time.Second},
		{ResetID: true},
		// With a type, an empty event is dispatched all the same.
		{Type: "ping"},
	} {
		buf, _ := sse.AppendEvent(nil, &e)
		fmt.Printf("%q\n", buf)
	}
	// Output:
	// ": just a comment\n\n"
	// "retry: 10000\n\n"
	// "id: \n\n"
	// "event: ping\ndata: \n\n"
}

func ExampleAppendJSON() {
	v := map[string]int{"n": 1}
	buf, err := sse.AppendJSON(nil, &sse.Event{ID: "1"}, v, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s", buf)
	// Output:
	// id: 1
	// data: {"n":1}
}

func ExampleLastEventID() {
	req := httptest.NewRequest(http.MethodGet, "/events?lastEventId=12", nil)
	id, err := sse.LastEventID(req)
	fmt.Printf("%q %v\n", id, err)

	req.Header.Set("Last-Event-ID", "41") // the header wins
	id, err = sse.LastEventID(req)
	fmt.Printf("%q %v\n", id, err)

	req.Header.Set("Last-Event-ID", strings.Repeat("x", 2000)) // too long: ignored
	id, err = sse.LastEventID(req)
	fmt.Printf("%q %v\n", id, err)

	req = httptest.NewRequest(http.MethodGet, "/events?lastEventId=%zz", nil)
	if _, err := sse.LastEventID(req); err != nil {
		fmt.Println("400:", err) // a malformed query: answer 400
	}
	// Output:
	// "12" <nil>
	// "41" <nil>
	// "12" <nil>
	// 400: sse: cannot read lastEventId from a malformed query: invalid URL escape "%zz"
}

func ExampleNewReader() {
	stream := "retry: 1000\r\nid: 1\r\ndata: hello\r\n\r\n: a comment\r\nevent: bye\r\ndata: a\r\ndata: b\r\n\r\n"
	rd := sse.NewReader(strings.NewReader(stream), nil)
	for ev, err := range rd.All() {
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %q (id %s)\n", ev.Type, ev.Data, ev.ID)
	}
	d, _ := rd.Retry()
	fmt.Println("reconnect after", d, "sending Last-Event-ID", rd.LastEventID())
	// Output:
	// message "hello" (id 1)
	// bye "a\nb" (id 1)
	// reconnect after 1s sending Last-Event-ID 1
}

func ExampleReader_Next() {
	rd := sse.NewReader(strings.NewReader("data: one\n\ndata: cut off at the end\n"), nil)
	for {
		ev, err := rd.Next()
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(ev.Data)
	}
	// Output:
	// one
	// EOF
}

func ExampleReader_All() {
	rd := sse.NewReader(strings.NewReader("data: 1\n\ndata: 2\n\n"), nil)
	for ev, err := range rd.All() {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ev.Data)
	}
	// Output:
	// 1
	// 2
}

// ReaderOptions bound what a stream can make the Reader hold.
func ExampleReaderOptions() {
	rd := sse.NewReader(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), &sse.ReaderOptions{MaxLineLength: 64})
	_, err := rd.Next()
	fmt.Println(err, errors.Is(err, sse.ErrLineTooLong))
	// Output:
	// sse: line too long true
}
