package hub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
)

func appendN(t *testing.T, b hub.Backend, topic string, n int) []hub.Position {
	t.Helper()
	var ps []hub.Position
	for i := 1; i <= n; i++ {
		p, err := b.Append(context.Background(), topic, hub.Message{Type: "x", Data: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func offsets(rs []hub.Record) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, r.Pos.Offset)
	}
	return out
}

func TestMemoryReadUnknownTopic(t *testing.T) {
	b := hub.NewMemoryBackend(nil)
	defer b.Close()
	tests := []struct {
		name  string
		after hub.Position
		lost  bool
	}{
		{"from the start", hub.Position{}, false},
		{"from a position", hub.Position{Epoch: "e", Offset: 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Read(context.Background(), "nope", tt.after, 10)
			if err != nil || got.Lost != tt.lost || !got.Head.IsZero() || len(got.Records) != 0 {
				t.Errorf("Read = %+v, %v; want no records, zero head, lost %v", got, err, tt.lost)
			}
		})
	}
	// Reading does not create the topic.
	p, _ := b.Append(context.Background(), "nope", hub.Message{})
	if p.Offset != 1 {
		t.Errorf("first Append = %+v; want offset 1", p)
	}
}

func TestMemoryBytesKeepsNewest(t *testing.T) {
	b := hub.NewMemoryBackend(&hub.MemoryOptions{History: hub.History{MaxBytes: 10}})
	defer b.Close()
	ctx := context.Background()
	b.Append(ctx, "t", hub.Message{Data: "12345"})
	b.Append(ctx, "t", hub.Message{Data: "12345"})
	p, _ := b.Append(ctx, "t", hub.Message{Data: "this one is larger than the bound"})
	got, _ := b.Read(ctx, "t", hub.Position{}, 10)
	if fmt.Sprint(offsets(got.Records)) != fmt.Sprint([]uint64{p.Offset}) {
		t.Errorf("kept %v; want only the newest, %d", offsets(got.Records), p.Offset)
	}
	b.Append(ctx, "t", hub.Message{Data: "1"})
	got, _ = b.Read(ctx, "t", hub.Position{}, 10)
	if fmt.Sprint(offsets(got.Records)) != fmt.Sprint([]uint64{p.Offset + 1}) {
		t.Errorf("kept %v; want only %d", offsets(got.Records), p.Offset+1)
	}
}

func TestMemorySweepsAgedTopics(t *testing.T) {
	clock := newClock()
	b := hub.NewMemoryBackend(&hub.MemoryOptions{History: hub.History{MaxAge: time.Minute}, Now: clock.Now})
	defer b.Close()
	old := appendN(t, b, "old", 1)[0]
	clock.Advance(time.Hour)
	appendN(t, b, "busy", 200)
	got, _ := b.Read(context.Background(), "old", hub.Position{}, 10)
	if !got.Head.IsZero() {
		t.Fatalf("aged topic still known, head %+v", got.Head)
	}
	p := appendN(t, b, "old", 1)[0]
	if p.Epoch == old.Epoch || p.Offset != 1 {
		t.Errorf("recreated topic at %+v; want offset 1 of a new epoch (old %+v)", p, old)
	}
}
