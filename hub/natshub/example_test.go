package natshub_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/natshub/natstest"
)

// The examples need a NATS server, so they are compiled but not run;
// TestExample runs the same steps against a throwaway one.

// Two server processes share one NATS server: an event published through
// either reaches the subscribers of both.
func Example() {
	ctx := context.Background()
	const url = "nats://127.0.0.1:4222"

	// In process A.
	ba, err := natshub.Open(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ba.Close() // after the hub
	ha := hub.New(&hub.Options{Backend: ba})
	defer ha.Close()

	// In process B.
	bb, err := natshub.Open(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer bb.Close()
	hb := hub.New(&hub.Options{Backend: bb})
	defer hb.Close()

	sub, err := hb.Subscribe(ctx, "chat", "")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	if _, err := ha.Publish(ctx, "chat", hub.Message{Type: "message", Data: "hello"}); err != nil {
		log.Fatal(err)
	}
	e, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Type, e.Data)
}

// With a connection the application already has, and history bounds.
func ExampleNew() {
	nc, err := nats.Connect("nats://127.0.0.1:4222", nats.ReconnectBufSize(-1), nats.MaxReconnects(-1))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close() // the backend does not close it

	backend, err := natshub.New(nc, &natshub.Options{
		Prefix:  "myapp",
		History: hub.History{MaxEvents: 10000, MaxBytes: 8 << 20, MaxAge: 24 * time.Hour},
		Timeout: 2 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer backend.Close()
	h := hub.New(&hub.Options{Backend: backend})
	defer h.Close()

	id, err := h.Publish(context.Background(), "orders", hub.Message{Type: "created", Data: `{"id":42}`})
	if err != nil {
		log.Fatal(err) // NATS was out of reach for 2 s
	}
	fmt.Println(id)
}

// A publisher that retries stores its event once: the retry carries the
// same Key, which becomes the Nats-Msg-Id.
func ExampleBackend_Append_retry() {
	var h *hub.Hub // on a natshub.Backend
	ctx := context.Background()
	for {
		id, err := h.Publish(ctx, "orders", hub.Message{Type: "created", Data: `{"id":42}`, Key: "order-42-created"})
		if err == nil {
			fmt.Println(id)
			return
		}
		time.Sleep(time.Second)
	}
}

// Many events in one round trip, in order.
func ExampleBackend_AppendBatch() {
	var b *natshub.Backend
	msgs := []hub.Message{{Type: "tick", Data: "1"}, {Type: "tick", Data: "2"}}
	pos, err := b.AppendBatch(context.Background(), "ticks", msgs)
	if err != nil {
		log.Fatal(err) // pos holds the events stored before the error
	}
	fmt.Println(len(pos))
}

// TestExample runs Example's steps against a throwaway NATS server and
// checks what they print.
func TestExample(t *testing.T) {
	srv := natstest.NewServer(t)
	ctx := hubtest.Context(t)
	var out strings.Builder

	ba, err := natshub.Open(ctx, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ba.Close()
	ha := hub.New(&hub.Options{Backend: ba})
	defer ha.Close()

	bb, err := natshub.Open(ctx, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bb.Close()
	hb := hub.New(&hub.Options{Backend: bb})
	defer hb.Close()

	sub, err := hb.Subscribe(ctx, "chat", "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := ha.Publish(ctx, "chat", hub.Message{Type: "message", Data: "hello"}); err != nil {
		t.Fatal(err)
	}
	e, err := sub.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(&out, e.Type, e.Data)

	pos, err := ba.AppendBatch(ctx, "ticks", []hub.Message{{Type: "tick", Data: "1"}, {Type: "tick", Data: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(&out, len(pos))

	if got, want := out.String(), "message hello\n2\n"; got != want {
		t.Errorf("Example printed %q; want %q", got, want)
	}
}
