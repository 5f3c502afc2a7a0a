package natshub_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/hub/hubtest"
	"github.com/streamkit/streamkit/hub/natshub"
	"github.com/streamkit/streamkit/hub/natshub/natstest"
	"github.com/streamkit/streamkit/sse"
)

func batchOf(prefix string, n int) []hub.Message {
	msgs := make([]hub.Message, n)
	for i := range msgs {
		msgs[i] = hub.Message{Type: "b", Data: fmt.Sprintf("%s%d", prefix, i)}
	}
	return msgs
}

// A batch is stored in order, its events reach subscribers of another
// process like any others, and its positions follow each other.
func TestAppendBatch(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	b := newProc(t, srv.URL(), "b", nil)
	sb := hubtest.Subscribe(t, b.hub, "chat", "")
	first := hubtest.PublishN(t, a.hub, "chat", 1, 1)

	msgs := batchOf("x", 50)
	pos, err := a.backend.AppendBatch(hubtest.Context(t), "chat", msgs)
	if err != nil || len(pos) != len(msgs) {
		t.Fatalf("AppendBatch = %d positions, %v; want %d", len(pos), err, len(msgs))
	}
	p0, _ := hub.ParseID(first[0])
	for i, p := range pos {
		if p.Epoch != p0.Epoch || p.Offset != uint64(i+2) {
			t.Fatalf("position %d = %+v; want %s-%d", i, p, p0.Epoch, i+2)
		}
	}
	expectEvents(t, sb, dataRange(1, 1), first)
	for i, m := range msgs {
		if e := hubtest.Next(t, sb); e.Type != m.Type || e.Data != m.Data || e.ID != pos[i].String() {
			t.Fatalf("event %d = %+v; want %+v at %s", i, e, m, pos[i])
		}
	}
	expectNothing(t, sb)

	if pos, err := a.backend.AppendBatch(hubtest.Context(t), "chat", nil); err != nil || len(pos) != 0 {
		t.Errorf("AppendBatch of nothing = %v, %v; want nothing", pos, err)
	}
}

// Batches and single publishes from several processes at once: every
// batch keeps its order, every event is stored once.
func TestAppendBatchConcurrent(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", &natshub.Options{History: hub.History{MaxEvents: 10000}})
	b := newProc(t, srv.URL(), "b", &natshub.Options{History: hub.History{MaxEvents: 10000}})
	const batches, size, singles = 6, 40, 60
	var wg sync.WaitGroup
	for i := range batches {
		p := a
		if i%2 == 1 {
			p = b
		}
		wg.Go(func() {
			pos, err := p.backend.AppendBatch(hubtest.Context(t), "chat", batchOf(fmt.Sprintf("b%d-", i), size))
			if err != nil || len(pos) != size {
				t.Errorf("AppendBatch %d = %d positions, %v", i, len(pos), err)
				return
			}
			for j := 1; j < len(pos); j++ {
				if pos[j].Offset <= pos[j-1].Offset {
					t.Errorf("batch %d: position %d = %v after %v", i, j, pos[j], pos[j-1])
				}
			}
		})
	}
	wg.Go(func() {
		for i := range singles {
			if _, err := b.hub.Publish(hubtest.Context(t), "chat", hub.Message{Data: fmt.Sprintf("s%d", i)}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()

	got, err := a.backend.Read(hubtest.Context(t), "chat", hub.Position{}, 10000)
	if err != nil || len(got.Records) != batches*size+singles {
		t.Fatalf("Read = %d records, %v; want %d", len(got.Records), err, batches*size+singles)
	}
	next := map[string]int{}
	for _, r := range got.Records {
		prefix, n, _ := strings.Cut(r.Data, "-")
		if !strings.HasPrefix(r.Data, "b") {
			continue
		}
		if want := fmt.Sprint(next[prefix]); n != want {
			t.Fatalf("batch %s: event %s where %s belongs", prefix, n, want)
		}
		next[prefix]++
	}
}

// A batch of keyed messages sent again is stored once, and a batch cut
// short is completed without storing any event twice.
func TestAppendBatchRetryStoresOnce(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	ctx := hubtest.Context(t)
	msgs := batchOf("x", 10)
	for i := range msgs {
		msgs[i].Key = fmt.Sprintf("upload-7-%d", i)
	}

	part, err := a.backend.AppendBatch(ctx, "chat", msgs[:4]) // as if the rest were lost
	if err != nil {
		t.Fatal(err)
	}
	hubtest.PublishN(t, a.hub, "chat", 1, 1) // someone else publishes between
	all, err := a.backend.AppendBatch(ctx, "chat", msgs)
	if err != nil || len(all) != len(msgs) {
		t.Fatalf("AppendBatch again = %d positions, %v", len(all), err)
	}
	if !slices.Equal(all[:4], part) {
		t.Errorf("positions of the first 4 = %v again; want %v", all[:4], part)
	}
	again, err := a.backend.AppendBatch(ctx, "chat", msgs)
	if err != nil || !slices.Equal(again, all) {
		t.Errorf("the same batch a third time = %v, %v; want %v", again, err, all)
	}
	got, err := a.backend.Read(hubtest.Context(t), "chat", hub.Position{}, 100)
	if err != nil || len(got.Records) != 11 {
		t.Fatalf("Read = %d records, %v; want 11: each event once", len(got.Records), err)
	}
}

func TestAppendBatchRejects(t *testing.T) {
	srv := natstest.NewServer(t)
	a := newProc(t, srv.URL(), "a", nil)
	tests := []struct {
		name  string
		topic string
		msgs  []hub.Message
		want  error
	}{
		{"bad topic", "a/b", batchOf("x", 1), hub.ErrInvalidTopic},
		{"line break in type", "chat", []hub.Message{{Type: "a\nb"}}, sse.ErrInvalidField},
		{"too many", "chat", make([]hub.Message, natshub.MaxBatch+1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pos, err := a.backend.AppendBatch(hubtest.Context(t), tt.topic, tt.msgs)
			if err == nil || len(pos) != 0 || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("AppendBatch = %v, %v; want an error matching %v", pos, err, tt.want)
			}
		})
	}
}
