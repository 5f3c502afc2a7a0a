package hub_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/sse"
)

// appendOnly hides a backend's AppendBatch, so that the hub falls back to
// one Append per message.
type appendOnly struct{ hub.Backend }

func TestPublishBatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend func() hub.Backend
	}{
		{"batch appender", func() hub.Backend { return hub.NewMemoryBackend(nil) }},
		{"one append at a time", func() hub.Backend { return appendOnly{hub.NewMemoryBackend(nil)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t, &hub.Options{Backend: tc.backend()})
			s := hubtest.Subscribe(t, h, "news", "")
			first := hubtest.Publish(t, h, "news", "a")
			ids, err := h.PublishBatch(context.Background(), "news", []hub.Message{
				{Type: "note", Data: "b", Key: "k1"},
				{Type: "note", Data: "c"},
				{Type: "note", Data: "b again", Key: "k1"},
			})
			if err != nil {
				t.Fatalf("PublishBatch: %v", err)
			}
			if len(ids) != 3 || ids[2] != ids[0] || ids[0] == ids[1] || ids[0] == first {
				t.Fatalf("IDs %q: want three, the repeated key's the same as the first", ids)
			}
			var got []string
			for range 3 {
				e := hubtest.Next(t, s)
				got = append(got, e.ID+" "+e.Data)
			}
			if want := []string{first + " a", ids[0] + " b", ids[1] + " c"}; !slices.Equal(got, want) {
				t.Errorf("subscriber got %q; want %q", got, want)
			}
			expectNothing(t, s)
		})
	}
}

func TestPublishBatchChecksEveryMessageFirst(t *testing.T) {
	h := newHub(t, nil)
	s := hubtest.Subscribe(t, h, "news", "")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		msgs []hub.Message
		want error
	}{
		{"bad type", []hub.Message{{Data: "ok"}, {Type: "a\nb", Data: "x"}}, sse.ErrInvalidField},
		{"bad key", []hub.Message{{Data: "ok"}, {Data: "x", Key: "has space"}}, hub.ErrInvalidKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := h.PublishBatch(ctx, "news", tc.msgs)
			if !errors.Is(err, tc.want) || len(ids) != 0 {
				t.Errorf("PublishBatch = %q, %v; want no IDs and %v", ids, err, tc.want)
			}
		})
	}
	if _, err := h.PublishBatch(ctx, "no/slash", []hub.Message{{Data: "x"}}); !errors.Is(err, hub.ErrInvalidTopic) {
		t.Errorf("bad topic: %v; want ErrInvalidTopic", err)
	}
	expectNothing(t, s)
	if ids, err := h.PublishBatch(ctx, "news", nil); err != nil || len(ids) != 0 {
		t.Errorf("empty batch: %q, %v", ids, err)
	}
	h.Close()
	if _, err := h.PublishBatch(ctx, "news", []hub.Message{{Data: "x"}}); !errors.Is(err, hub.ErrClosed) {
		t.Errorf("after Close: %v; want ErrClosed", err)
	}
}
