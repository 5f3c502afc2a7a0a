package redishub_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/redishub"
	"github.com/streamkit/streamkit/hub/redishub/redistest"
)

// The examples need a Redis server, so they are compiled but not run;
// TestExample runs the same steps against a throwaway one.

// Two server processes share one Redis: an event published through either
// reaches the subscribers of both.
func Example() {
	ctx := context.Background()
	const url = "redis://127.0.0.1:6379/0"

	// In process A.
	ba, err := redishub.Open(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ba.Close() // after the hub
	ha := hub.New(&hub.Options{Backend: ba})
	defer ha.Close()

	// In process B.
	bb, err := redishub.Open(ctx, url, nil)
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

// With a client the application already has. ContextTimeoutEnabled lets
// Options.Timeout bound every wait on the socket.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		ContextTimeoutEnabled: true,
	})
	defer client.Close() // the backend does not close it

	backend, err := redishub.New(client, &redishub.Options{
		Prefix:  "myapp:",
		MaxLen:  10000,
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
		log.Fatal(err) // Redis was out of reach for 2 s
	}
	fmt.Println(id)
}

// TestExample runs Example's steps against a throwaway Redis and checks
// what they print.
func TestExample(t *testing.T) {
	srv := redistest.NewServer(t)
	ctx := hubtest.Context(t)
	var out strings.Builder

	ba, err := redishub.Open(ctx, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ba.Close()
	ha := hub.New(&hub.Options{Backend: ba})
	defer ha.Close()

	bb, err := redishub.Open(ctx, srv.URL(), nil)
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

	if got, want := out.String(), "message hello\n"; got != want {
		t.Errorf("Example printed %q; want %q", got, want)
	}
}
