// Package hubtest checks that a [hub.Backend] keeps the contract the hub
// relies on. A backend's own tests call [TestBackend], as handler authors
// run testing/slogtest:
//
//	func TestConformance(t *testing.T) {
//		hubtest.TestBackend(t, func(t *testing.T, maxEvents int) hub.Backend {
//			return newBackendForTest(t, maxEvents)
//		})
//	}
//
// The suite covers positions and epochs, bounded reads and their Lost
// reports, live delivery in order under concurrent appends, listeners that
// read the backend from inside a callback, context cancellation and Close,
// and, for a backend that implements [hub.BatchAppender], batches.
// It does not cover history bounds by bytes or age, nor Gap, which depend
// on a backend's store.
//
// Its helpers ([Subscribe], [Publish], [PublishN], [Next], [ExpectNothing])
// serve tests of code that uses a hub, on any backend.
package hubtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/hub"
)

// NewBackend returns a fresh, empty backend that keeps at most maxEvents
// events per topic. The suite closes it; the function may register its own
// cleanup with t.
type NewBackend func(t *testing.T, maxEvents int) hub.Backend

// TestBackend runs the conformance suite against the backends newBackend
// makes, each check in its own subtest.
func TestBackend(t *testing.T, newBackend NewBackend) {
	open := func(t *testing.T, maxEvents int) hub.Backend {
		b := newBackend(t, maxEvents)
		t.Cleanup(func() { b.Close() })
		return b
	}
	tests := []struct {
		name string
		run  func(t *testing.T, b hub.Backend)
		max  int
	}{
		{"AppendPositions", testAppendPositions, 100},
		{"AppendKey", testAppendKey, 100},
		{"AppendBatch", testAppendBatch, 1000},
		{"ReadRanges", testReadRanges, 4},
		{"ReadLost", testReadLost, 4},
		{"ReadUnknownTopic", testReadUnknownTopic, 100},
		{"SubscribeHead", testSubscribeHead, 100},
		{"SubscribeOrder", testSubscribeOrder, 1000},
		{"SubscribeTwoListeners", testSubscribeTwoListeners, 100},
		{"ReadInsideListener", testReadInsideListener, 100},
		{"Stop", testStop, 100},
		{"Cancelled", testCancelled, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open(t, tt.max)) })
	}
	t.Run("Close", func(t *testing.T) {
		b := newBackend(t, 100)
		testClose(t, b)
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func appendN(t *testing.T, b hub.Backend, topic string, n int) []hub.Position {
	t.Helper()
	var ps []hub.Position
	for i := range n {
		p, err := b.Append(ctx(t), topic, hub.Message{Type: "t", Data: fmt.Sprint(i + 1)})
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		ps = append(ps, p)
	}
	return ps
}

func offsets(rs []hub.Record) []uint64 {
	out := []uint64{}
	for _, r := range rs {
		out = append(out, r.Pos.Offset)
	}
	return out
}

func testAppendPositions(t *testing.T, b hub.Backend) {
	ps := appendN(t, b, "a", 5)
	for i, p := range ps {
		if !hub.ValidEpoch(p.Epoch) || p.Epoch != ps[0].Epoch || p.Offset != uint64(i+1) {
			t.Errorf("Append %d gave %+v; want offset %d of one valid epoch", i+1, p, i+1)
		}
	}
	// Topics are separate sequences.
	q := appendN(t, b, "b", 1)[0]
	if q.Offset != 1 {
		t.Errorf("first Append to another topic gave %+v; want offset 1", q)
	}
}

// A keyed message is stored and delivered once however often it is
// appended; another key, or none, is a new event.
func testAppendKey(t *testing.T, b hub.Backend) {
	l := newListener()
	_, stop, err := b.Subscribe(ctx(t), "k", l)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer stop()
	keyed := func(key, data string) hub.Position {
		t.Helper()
		p, err := b.Append(ctx(t), "k", hub.Message{Type: "t", Data: data, Key: key})
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		return p
	}
	first := keyed("order-1", "a")
	if again := keyed("order-1", "a, retried"); again != first {
		t.Errorf("Append with the same key gave %+v; want the first position %+v", again, first)
	}
	other := keyed("order-2", "b")
	plain1, plain2 := keyed("", "c"), keyed("", "c")
	if other.Offset != first.Offset+1 || plain1.Offset != first.Offset+2 || plain2.Offset != first.Offset+3 {
		t.Errorf("positions %+v %+v %+v after %+v; want the next three offsets", other, plain1, plain2, first)
	}
	// Another topic has keys of its own.
	if p, err := b.Append(ctx(t), "k2", hub.Message{Data: "x", Key: "order-1"}); err != nil || p.Offset != 1 {
		t.Errorf("the same key on another topic gave %+v, %v; want its first event", p, err)
	}
	batch, err := b.Read(ctx(t), "k", hub.Position{}, 10)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var data []string
	for _, r := range batch.Records {
		data = append(data, r.Data)
	}
	if want := []string{"a", "b", "c", "c"}; !slices.Equal(data, want) {
		t.Errorf("history %q; want %q: a repeated key was stored", data, want)
	}
	got := l.waitFor(t, 4)
	if len(got) != 4 || got[0].Data != "a" || got[1].Data != "b" {
		t.Errorf("listener got %+v; want a, b, c, c: a repeated key was delivered", got)
	}
}

// A batch takes the next offsets in its order, de-duplicates its Keys
// against earlier events and among its own messages, is delivered in order,
// and keeps its order among concurrent batches.
func testAppendBatch(t *testing.T, b hub.Backend) {
	ba, ok := b.(hub.BatchAppender)
	if !ok {
		t.Skip("the backend does not implement hub.BatchAppender")
	}
	if ps, err := ba.AppendBatch(ctx(t), "batch", nil); err != nil || len(ps) != 0 {
		t.Errorf("empty batch: %v, %v; want no positions and no error", ps, err)
	}
	l := newListener()
	_, stop, err := b.Subscribe(ctx(t), "batch", l)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer stop()
	first, err := b.Append(ctx(t), "batch", hub.Message{Type: "t", Data: "a0", Key: "k0"})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	ps, err := ba.AppendBatch(ctx(t), "batch", []hub.Message{
		{Type: "t", Data: "b1", Key: "k1"},
		{Type: "t", Data: "b2"},
		{Type: "t", Data: "b3", Key: "k1"}, // a repeat within the batch
		{Type: "t", Data: "b4", Key: "k0"}, // a repeat of the earlier event
		{Type: "u", Data: "b5\nline"},
	})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	want := []uint64{2, 3, 2, 1, 4}
	if len(ps) != len(want) {
		t.Fatalf("AppendBatch gave %d positions %+v; want %d", len(ps), ps, len(want))
	}
	for i, p := range ps {
		if p.Epoch != first.Epoch || p.Offset != first.Offset-1+want[i] {
			t.Errorf("message %d at %+v; want offset %d of epoch %s", i, p, first.Offset-1+want[i], first.Epoch)
		}
	}
	batch, err := b.Read(ctx(t), "batch", hub.Position{}, 10)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var data []string
	for _, r := range batch.Records {
		data = append(data, r.Type+":"+r.Data)
	}
	wantData := []string{"t:a0", "t:b1", "t:b2", "u:b5\nline"}
	if !slices.Equal(data, wantData) {
		t.Errorf("history %q; want %q", data, wantData)
	}
	got := l.waitFor(t, first.Offset+3)
	data = data[:0]
	for _, r := range got {
		data = append(data, r.Type+":"+r.Data)
	}
	if !slices.Equal(data, wantData) {
		t.Errorf("listener got %q; want %q", data, wantData)
	}

	// Concurrent batches: one sequence of offsets, each batch in order.
	const publishers, batches, size = 3, 4, 10
	l2 := newListener()
	head, stop2, err := b.Subscribe(ctx(t), "batches", l2)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer stop2()
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range batches {
				msgs := make([]hub.Message, size)
				for j := range msgs {
					msgs[j] = hub.Message{Type: "t", Data: fmt.Sprint(p, " ", i*size+j)}
				}
				ps, err := ba.AppendBatch(ctx(t), "batches", msgs)
				if err != nil || len(ps) != size {
					t.Errorf("AppendBatch: %d positions, %v", len(ps), err)
					return
				}
				for j := 1; j < size; j++ {
					if ps[j].Offset <= ps[j-1].Offset {
						t.Errorf("batch positions %+v out of order", ps)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	const total = publishers * batches * size
	recs := after(l2.waitFor(t, head.Offset+total), head)
	if len(recs) != total {
		t.Fatalf("listener got %d events; want %d", len(recs), total)
	}
	next := make([]int, publishers)
	for i, r := range recs {
		if r.Pos.Offset != head.Offset+uint64(i)+1 {
			t.Fatalf("event %d at %+v; want offset %d", i, r.Pos, head.Offset+uint64(i)+1)
		}
		var p, n int
		if _, err := fmt.Sscan(r.Data, &p, &n); err != nil || p < 0 || p >= publishers || n != next[p] {
			t.Fatalf("event %d is %q; want publisher %d's message %d next", i, r.Data, p, next[p])
		}
		next[p]++
	}
}

func testReadRanges(t *testing.T, b hub.Backend) {
	ps := appendN(t, b, "a", 6) // keeps 3..6
	e := ps[0].Epoch
	head := hub.Position{Epoch: e, Offset: 6}
	tests := []struct {
		name  string
		after hub.Position
		limit int
		want  []uint64
	}{
		{"zero position", hub.Position{}, 10, []uint64{3, 4, 5, 6}},
		{"before the oldest", hub.Position{Epoch: e, Offset: 2}, 10, []uint64{3, 4, 5, 6}},
		{"middle", hub.Position{Epoch: e, Offset: 4}, 10, []uint64{5, 6}},
		{"limit", hub.Position{Epoch: e, Offset: 2}, 3, []uint64{3, 4, 5}},
		{"head", head, 10, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Read(ctx(t), "a", tt.after, tt.limit)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !slices.Equal(offsets(got.Records), tt.want) || got.Lost || got.Head != head {
				t.Errorf("Read(%+v, %d) = %v, lost %v, head %+v; want %v, not lost, head %+v",
					tt.after, tt.limit, offsets(got.Records), got.Lost, got.Head, tt.want, head)
			}
			for _, r := range got.Records {
				if r.Pos.Epoch != e || r.Type != "t" || r.Data != fmt.Sprint(r.Pos.Offset) {
					t.Errorf("record %+v; want epoch %s, type t, data %d", r, e, r.Pos.Offset)
				}
			}
		})
	}
}

func testReadLost(t *testing.T, b hub.Backend) {
	ps := appendN(t, b, "a", 6) // keeps 3..6
	e := ps[0].Epoch
	tests := []struct {
		name  string
		after hub.Position
	}{
		{"evicted", hub.Position{Epoch: e, Offset: 1}},
		{"offset zero", hub.Position{Epoch: e, Offset: 0}},
		{"beyond head", hub.Position{Epoch: e, Offset: 7}},
		{"other epoch", hub.Position{Epoch: "other" + e, Offset: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Read(ctx(t), "a", tt.after, 10)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !got.Lost || len(got.Records) != 0 || got.Head != (hub.Position{Epoch: e, Offset: 6}) {
				t.Errorf("Read(%+v) = %v, lost %v, head %+v; want lost, no records, head %s-6",
					tt.after, offsets(got.Records), got.Lost, got.Head, e)
			}
		})
	}
}

func testReadUnknownTopic(t *testing.T, b hub.Backend) {
	got, err := b.Read(ctx(t), "never", hub.Position{}, 10)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got.Lost || len(got.Records) != 0 || got.Head.Offset != 0 {
		t.Errorf("Read(unknown topic) = %+v; want no records, not lost, head offset 0", got)
	}
}

// listener records what a backend delivers.
type listener struct {
	mu     sync.Mutex
	got    []hub.Record
	arrive chan struct{}
	event  func(r hub.Record) // optional, called inside Event
}

func newListener() *listener { return &listener{arrive: make(chan struct{}, 1)} }

func (l *listener) Event(r hub.Record) {
	if l.event != nil {
		l.event(r)
	}
	l.mu.Lock()
	l.got = append(l.got, r)
	l.mu.Unlock()
	select {
	case l.arrive <- struct{}{}:
	default:
	}
}

func (l *listener) Gap(error) {}

// waitFor waits until the listener has a record at offset off or later.
func (l *listener) waitFor(t *testing.T, off uint64) []hub.Record {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		got := slices.Clone(l.got)
		l.mu.Unlock()
		if n := len(got); n > 0 && got[n-1].Pos.Offset >= off {
			return got
		}
		select {
		case <-l.arrive:
		case <-deadline:
			t.Fatalf("listener has %v; waited for offset %d", offsets(got), off)
		}
	}
}

// after drops records at or before head, which the hub ignores.
func after(rs []hub.Record, head hub.Position) []hub.Record {
	return slices.DeleteFunc(rs, func(r hub.Record) bool {
		return r.Pos.Epoch == head.Epoch && r.Pos.Offset <= head.Offset
	})
}

func testSubscribeHead(t *testing.T, b hub.Backend) {
	l := newListener()
	head, stop, err := b.Subscribe(ctx(t), "empty", l)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer stop()
	if !hub.ValidEpoch(head.Epoch) || head.Offset != 0 {
		t.Fatalf("head of an empty topic = %+v; want offset 0 of a valid epoch", head)
	}
	p := appendN(t, b, "empty", 1)[0]
	if p.Epoch != head.Epoch || p.Offset != 1 {
		t.Errorf("first Append after Subscribe = %+v; want %s-1", p, head.Epoch)
	}
	if got := l.waitFor(t, 1); got[len(got)-1].Pos != p {
		t.Errorf("listener got %+v; want %+v", got, p)
	}

	ps := appendN(t, b, "full", 3)
	l2 := newListener()
	head, stop2, err := b.Subscribe(ctx(t), "full", l2)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer stop2()
	if head != ps[2] {
		t.Errorf("head = %+v; want the last appended, %+v", head, ps[2])
	}
}

func testSubscribeOrder(t *testing.T, b hub.Backend) {
	const appenders, each = 4, 50
	appendN(t, b, "a", 2)
	l := newListener()
	head, stop, err := b.Subscribe(ctx(t), "a", l)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer stop()
	var wg sync.WaitGroup
	for range appenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := b.Append(ctx(t), "a", hub.Message{Type: "t"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := after(l.waitFor(t, head.Offset+appenders*each), head)
	if len(got) != appenders*each {
		t.Fatalf("listener got %d events after head; want %d", len(got), appenders*each)
	}
	for i, r := range got {
		if r.Pos.Epoch != head.Epoch || r.Pos.Offset != head.Offset+uint64(i)+1 {
			t.Fatalf("event %d at %+v; want %s-%d: out of order or missing", i, r.Pos, head.Epoch, head.Offset+uint64(i)+1)
		}
	}
}

func testSubscribeTwoListeners(t *testing.T, b hub.Backend) {
	l1, l2 := newListener(), newListener()
	h1, stop1, err := b.Subscribe(ctx(t), "a", l1)
	if err != nil {
		t.Fatal(err)
	}
	defer stop1()
	_, stop2, err := b.Subscribe(ctx(t), "a", l2)
	if err != nil {
		t.Fatal(err)
	}
	defer stop2()
	p := appendN(t, b, "a", 1)[0]
	for i, l := range []*listener{l1, l2} {
		if got := after(l.waitFor(t, p.Offset), h1); len(got) != 1 || got[0].Pos != p {
			t.Errorf("listener %d got %v; want %+v", i+1, offsets(got), p)
		}
	}
}

func testReadInsideListener(t *testing.T, b hub.Backend) {
	l := newListener()
	var mu sync.Mutex
	var reads []error
	l.event = func(r hub.Record) {
		// The hub catches up with Read from inside Event.
		_, err := b.Read(context.Background(), "a", hub.Position{}, 10)
		mu.Lock()
		reads = append(reads, err)
		mu.Unlock()
	}
	_, stop, err := b.Subscribe(ctx(t), "a", l)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		appendN(t, b, "a", 3)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Append did not return while a listener called Read: deadlock?")
	}
	l.waitFor(t, 3)
	mu.Lock()
	defer mu.Unlock()
	for _, err := range reads {
		if err != nil {
			t.Errorf("Read inside Event: %v", err)
		}
	}
}

func testStop(t *testing.T, b hub.Backend) {
	l := newListener()
	_, stop, err := b.Subscribe(ctx(t), "a", l)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, b, "a", 1)
	l.waitFor(t, 1)
	stop()
	stop() // idempotent
	appendN(t, b, "a", 3)
	// Give an asynchronous backend time to deliver what it should not.
	time.Sleep(50 * time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.got); n > 2 {
		t.Errorf("listener got %d events after stop; want at most one in flight", n-1)
	}
}

func testCancelled(t *testing.T, b hub.Backend) {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Append(c, "a", hub.Message{}); err == nil {
		t.Errorf("Append with a cancelled context succeeded; want an error")
	}
	if _, _, err := b.Subscribe(c, "a", newListener()); err == nil {
		t.Errorf("Subscribe with a cancelled context succeeded; want an error")
	}
}

func testClose(t *testing.T, b hub.Backend) {
	appendN(t, b, "a", 1)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c := ctx(t)
	if _, err := b.Append(c, "a", hub.Message{}); !errors.Is(err, hub.ErrClosed) {
		t.Errorf("Append after Close = %v; want ErrClosed", err)
	}
	if _, err := b.Read(c, "a", hub.Position{}, 1); !errors.Is(err, hub.ErrClosed) {
		t.Errorf("Read after Close = %v; want ErrClosed", err)
	}
	if _, _, err := b.Subscribe(c, "a", newListener()); !errors.Is(err, hub.ErrClosed) {
		t.Errorf("Subscribe after Close = %v; want ErrClosed", err)
	}
}
