package core

import (
	"container/heap"
	"sync"
	"time"
)

// beats schedules the heartbeats of every stream in the process on one
// runtime timer: a min-heap of streams by the time their heartbeat is due.
// A runtime timer of its own per stream (time.AfterFunc) costs about 140
// bytes, as much as a tenth of what streamkit adds to an idle stream; a
// place in the heap costs a pointer. The heap changes when a stream opens,
// ends, or its heartbeat fires (once per heartbeat interval), never on a
// write, so its lock is cold.
//
// Each due heartbeat runs in a goroutine of its own, as a time.AfterFunc
// callback would: writing one may block on a slow client, up to the write
// deadline, and must not hold up the others.
var beats beatQueue

type beatQueue struct {
	mu    sync.Mutex
	heap  []*Stream // by hbDue; each stream's hbIndex is its place
	timer *time.Timer
	armed int64 // when the timer fires, Unix nanoseconds; 0 when it is stopped
}

// schedule sets s's next heartbeat at due (Unix nanoseconds), queueing s
// or moving it. A stream that has ended is not queued: release, which
// marks it ended before it calls remove, may run while its heartbeat
// reschedules itself.
func (q *beatQueue) schedule(s *Stream, due int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s.closed.Load() {
		return
	}
	s.hbDue = due
	if s.hbIndex < 0 {
		heap.Push(q, s)
	} else {
		heap.Fix(q, int(s.hbIndex))
	}
	q.armLocked()
}

// remove takes s out of the queue, if it is there.
func (q *beatQueue) remove(s *Stream) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if i := int(s.hbIndex); i >= 0 {
		q.removeAt(i)
	}
}

// removeAt takes the stream at i out of the heap.
func (q *beatQueue) removeAt(i int) *Stream { return heap.Remove(q, i).(*Stream) }

// fire starts the heartbeats that are due and arms the timer for the next.
func (q *beatQueue) fire() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.armed = 0
	now := time.Now().UnixNano()
	for len(q.heap) > 0 && q.heap[0].hbDue <= now {
		go q.removeAt(0).heartbeatFired()
	}
	q.armLocked()
}

// armLocked makes the timer fire when the earliest heartbeat is due, unless
// it already fires by then.
func (q *beatQueue) armLocked() {
	if len(q.heap) == 0 {
		return
	}
	due := q.heap[0].hbDue
	if q.armed != 0 && q.armed <= due {
		return
	}
	q.armed = due
	d := time.Duration(due - time.Now().UnixNano())
	if q.timer == nil {
		q.timer = time.AfterFunc(d, q.fire)
		return
	}
	q.timer.Reset(d)
}

// Len, Less, Swap, Push and Pop make the queue a heap.Interface, by
// hbDue; Swap, Push and Pop keep each stream's hbIndex its place, and Pop
// marks the stream it takes out as not queued. q.mu is held.
func (q *beatQueue) Len() int           { return len(q.heap) }
func (q *beatQueue) Less(i, j int) bool { return q.heap[i].hbDue < q.heap[j].hbDue }

func (q *beatQueue) Swap(i, j int) {
	q.heap[i], q.heap[j] = q.heap[j], q.heap[i]
	q.heap[i].hbIndex = int32(i)
	q.heap[j].hbIndex = int32(j)
}

func (q *beatQueue) Push(x any) {
	s := x.(*Stream)
	s.hbIndex = int32(len(q.heap))
	q.heap = append(q.heap, s)
}

func (q *beatQueue) Pop() any {
	last := len(q.heap) - 1
	s := q.heap[last]
	q.heap[last] = nil
	q.heap = q.heap[:last]
	if last == 0 {
		q.heap = nil // an empty queue holds no array
	}
	s.hbIndex = -1
	return s
}
