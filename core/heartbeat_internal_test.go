package core

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// checkHeap fails unless q is a min-heap by hbDue whose streams know their
// places.
func checkHeap(t *testing.T, q *beatQueue) {
	t.Helper()
	for i, s := range q.heap {
		if int(s.hbIndex) != i {
			t.Fatalf("stream at %d has index %d", i, s.hbIndex)
		}
		if i > 0 && q.heap[(i-1)/2].hbDue > s.hbDue {
			t.Fatalf("heap order broken at %d", i)
		}
	}
}

// The queue stays a heap under random schedules, reschedules and removals,
// and hands the streams out in the order of their due times.
func TestBeatQueueOrder(t *testing.T) {
	var q beatQueue
	defer func() {
		if q.timer != nil {
			q.timer.Stop()
		}
	}()
	r := rand.New(rand.NewPCG(1, 2))
	far := time.Now().Add(time.Hour).UnixNano()
	streams := make([]*Stream, 500)
	for i := range streams {
		streams[i] = &Stream{hbIndex: -1}
	}
	for range 5000 {
		s := streams[r.IntN(len(streams))]
		if r.IntN(4) == 0 {
			q.remove(s)
			if s.hbIndex != -1 {
				t.Fatalf("removed stream keeps index %d", s.hbIndex)
			}
		} else {
			q.schedule(s, far+r.Int64N(int64(time.Hour)))
		}
		checkHeap(t, &q)
	}
	if q.armed == 0 && len(q.heap) > 0 {
		t.Fatal("timer not armed with streams queued")
	}
	var want []int64
	for _, s := range q.heap {
		want = append(want, s.hbDue)
	}
	slices.Sort(want)
	var got []int64
	for len(q.heap) > 0 {
		s := q.heap[0]
		got = append(got, s.hbDue)
		q.remove(s)
		checkHeap(t, &q)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("streams left the queue out of order")
	}
	if q.heap != nil {
		t.Fatal("the empty queue keeps its array")
	}
}

// A stream that has ended is never queued again, even when its heartbeat
// reschedules itself after its release.
func TestBeatQueueSkipsEnded(t *testing.T) {
	var q beatQueue
	s := &Stream{hbIndex: -1}
	s.closed.Store(true)
	q.schedule(s, time.Now().Add(time.Hour).UnixNano())
	if len(q.heap) != 0 || s.hbIndex != -1 {
		t.Fatal("an ended stream was queued")
	}
}
