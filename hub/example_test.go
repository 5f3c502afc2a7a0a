package hub_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
)

// offset returns the offset part of an event ID; the epoch part is random.
func offset(id string) uint64 {
	p, _ := hub.ParseID(id)
	return p.Offset
}

func Example() {
	h := hub.New(nil)
	defer h.Close()
	ctx := context.Background()

	sub, err := h.Subscribe(ctx, "chat", "")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	if _, err := h.Publish(ctx, "chat", hub.Message{Type: "message", Data: "hello"}); err != nil {
		log.Fatal(err)
	}
	e, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(offset(e.ID), e.Type, e.Data)
	// Output: 1 message hello
}

// A handler that serves a topic as an event stream, and a client that
// resumes after the first event.
func ExampleHub_ServeSSE() {
	h := hub.New(nil)
	defer h.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /events/{topic}", func(w http.ResponseWriter, r *http.Request) {
		// Subscribe before the headers go out, so that nothing published
		// once the client sees the stream open is missed.
		last, err := sse.LastEventID(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sub, err := h.Subscribe(r.Context(), r.PathValue("topic"), last)
		switch {
		case errors.Is(err, hub.ErrInvalidTopic):
			http.Error(w, "invalid topic", http.StatusBadRequest)
			return
		case err != nil:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			sub.Close()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s, err := sse.NewStream(c, nil)
		if err != nil {
			sub.Close()
			return
		}
		if err := h.ServeSSE(s, sub); err != nil {
			log.Print(err)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := context.Background()
	first, _ := h.Publish(ctx, "prices", hub.Message{Type: "price", Data: `{"eur":1}`})
	h.Publish(ctx, "prices", hub.Message{Type: "price", Data: `{"eur":2}`})

	req, _ := http.NewRequest("GET", srv.URL+"/events/prices", nil)
	req.Header.Set("Last-Event-ID", first)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	r := sse.NewReader(resp.Body, nil)

	ev, _ := r.Next() // replayed from the history
	fmt.Println(offset(ev.ID), ev.Type, ev.Data)
	h.Publish(ctx, "prices", hub.Message{Type: "price", Data: `{"eur":3}`})
	ev, _ = r.Next() // live
	fmt.Println(offset(ev.ID), ev.Type, ev.Data)
	// Output:
	// 2 price {"eur":2}
	// 3 price {"eur":3}
}

func ExampleHub_Publish() {
	h := hub.New(nil)
	defer h.Close()
	ctx := context.Background()

	id, err := h.Publish(ctx, "orders", hub.Message{Type: "created", Data: `{"id":7}`})
	fmt.Println(offset(id), err)

	_, err = h.Publish(ctx, "orders/7", hub.Message{Data: "x"})
	fmt.Println(errors.Is(err, hub.ErrInvalidTopic))
	// Output:
	// 1 <nil>
	// true
}

func ExampleHub_Subscribe() {
	h := hub.New(nil)
	defer h.Close()
	ctx := context.Background()

	var ids []string
	for _, d := range []string{"a", "b", "c"} {
		id, _ := h.Publish(ctx, "log", hub.Message{Data: d})
		ids = append(ids, id)
	}

	// Resume after the first event: exactly the ones after it.
	sub, _ := h.Subscribe(ctx, "log", ids[0])
	for range 2 {
		e, _ := sub.Next(ctx)
		fmt.Println(e.Data)
	}
	sub.Close()

	// An ID the hub never issued: a resync signal comes first.
	sub, _ = h.Subscribe(ctx, "log", "12345")
	e, _ := sub.Next(ctx)
	fmt.Println(e.Type, e.Resync, offset(e.ID))
	sub.Close()
	// Output:
	// b
	// c
	// resync malformed 3
}

func ExampleSubscription_Next() {
	var reg core.Registry
	h := hub.New(&hub.Options{QueueSize: 2, Policy: hub.DropOldest, Registry: &reg})
	defer h.Close()
	ctx := context.Background()

	sub, _ := h.Subscribe(ctx, "ticks", "")
	defer sub.Close()
	for _, d := range []string{"1", "2", "3", "4", "5"} {
		h.Publish(ctx, "ticks", hub.Message{Data: d}) // never waits for sub
	}
	// The subscriber kept the newest two, after a resync.
	for range 3 {
		e, _ := sub.Next(ctx)
		if e.Resync != "" {
			fmt.Println("resync:", e.Resync, "after", offset(e.ID))
			continue
		}
		fmt.Println(e.Data)
	}
	fmt.Println("dropped:", reg.Stats().Dropped)
	// Output:
	// resync: dropped after 3
	// 4
	// 5
	// dropped: 3
}

func ExampleNewMemoryBackend() {
	b := hub.NewMemoryBackend(&hub.MemoryOptions{History: hub.History{MaxEvents: 2}})
	defer b.Close()
	h := hub.New(&hub.Options{Backend: b})
	defer h.Close()
	ctx := context.Background()

	var ids []string
	for _, d := range []string{"a", "b", "c"} {
		id, _ := h.Publish(ctx, "t", hub.Message{Data: d})
		ids = append(ids, id)
	}
	// Only b and c are kept: resuming after a needs b, which is there.
	sub, _ := h.Subscribe(ctx, "t", ids[0])
	e, _ := sub.Next(ctx)
	fmt.Println(e.Data)
	sub.Close()
	// Resuming from before a is not possible any more.
	first, _ := hub.ParseID(ids[0])
	sub, _ = h.Subscribe(ctx, "t", hub.Position{Epoch: first.Epoch}.String())
	e, _ = sub.Next(ctx)
	fmt.Println(e.Resync)
	sub.Close()
	// Output:
	// b
	// evicted
}

func ExampleParseID() {
	p, ok := hub.ParseID("k3x9q2m8w1a0z-41")
	fmt.Println(p.Epoch, p.Offset, ok)
	_, ok = hub.ParseID("41")
	fmt.Println(ok)
	// Output:
	// k3x9q2m8w1a0z 41 true
	// false
}

func ExamplePosition_String() {
	fmt.Println(hub.Position{Epoch: "k3x9q2m8w1a0z", Offset: 41})
	// Output: k3x9q2m8w1a0z-41
}

func ExampleValidTopic() {
	for _, name := range []string{"chat.room-1", "chat/room", ""} {
		fmt.Println(name, hub.ValidTopic(name))
	}
	// Output:
	// chat.room-1 true
	// chat/room false
	//  false
}
