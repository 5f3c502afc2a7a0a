package hub

import (
	"runtime"
	"sync"
)

// parallelWake is the least number of subscribers worth a goroutine of
// their own when a publish wakes them: a topic with k times as many, and k
// processors or more, has its wake-ups shared between the publisher and
// k-1 wakers. Each wake-up readies a goroutine, and with a hundred thousand
// subscribers one loop doing them all is what the last subscriber waits
// for.
var parallelWake = 16 << 10

// A wake loop over a big topic yields its processor to the readers it has
// readied, every yieldEvery of them, so that each runs
// while its goroutine, channel and subscription are still in the
// processor's cache from the wake-up. Left until the loop ends, they would
// find all of it evicted by the thousands of wake-ups after theirs. With
// 100,000 subscribers on 2 cores, this cuts the time to the last reader by
// a sixth to a quarter. A topic with fewer than yieldFrom subscribers fits
// in the cache and is woken without yielding, as is a reader that was not
// waiting.
var (
	yieldEvery = 64
	yieldFrom  = 1 << 10
)

// wakers are the goroutines that share a big topic's wake-ups with its
// publisher. A topic starts them on the first publish that needs them
// (twice parallelWake subscribers and two processors), keeps them while it
// has parallelWake subscribers or more, so that a topic hovering around
// the threshold does not start and stop them on every change, and stops
// them when it falls below that or is closed. They live as long as the
// subscriptions that made the topic big: a hub whose topics are small
// holds none. The Subscription.Close that shrinks the topic waits for its
// wakers to exit, and Hub.Close for all of the hub's. When GOMAXPROCS
// grows, the next publish that can use more wakers replaces them; when it
// shrinks, the extra ones stay idle.
//
// A publish hands each waker a job, a slice of the subscribers, through a
// buffered channel, does the first slice itself and waits for the others.
// The jobs are allocated once, with the wakers, and reused by every
// publish, which holds the topic's lock from handing them out until they
// are done; so publishing to a big topic allocates no more than to a small
// one.
type wakers struct {
	jobs   chan *wakeJob
	job    []wakeJob      // one per waker
	busy   sync.WaitGroup // the jobs handed out by the publish under way
	exited sync.WaitGroup // the wakers' goroutines
}

// wakeJob is one waker's part of a publish.
type wakeJob struct {
	seq  uint64
	subs []*Subscription
	w    wakeCount // the result, read once busy is done
}

// wakeCount is what waking subscribers cost them under the slow policy.
type wakeCount struct {
	dropped int64
	slow    int
}

// startWakers starts n wakers for t.
func startWakers(t *topic, n int) *wakers {
	ws := &wakers{jobs: make(chan *wakeJob, n), job: make([]wakeJob, n)}
	ws.exited.Add(n)
	t.hub.wakersExited.Add(n)
	t.hub.wakers.Add(int64(n))
	for range n {
		go ws.run(t)
	}
	return ws
}

func (ws *wakers) run(t *topic) {
	defer func() {
		t.hub.wakers.Add(-1)
		t.hub.wakersExited.Done()
		ws.exited.Done()
	}()
	for j := range ws.jobs {
		j.w = t.wake(j.seq, j.subs)
		ws.busy.Done()
	}
}

// wait waits for stopped wakers to exit; nil waits for nothing.
func (ws *wakers) wait() {
	if ws != nil {
		ws.exited.Wait()
	}
}

// dropWakers detaches t's wakers and tells them to exit; the caller may
// wait for them with wait once it has let go of t.mu. t.mu is held, so no
// publish is using them.
func (t *topic) dropWakers() *wakers {
	ws := t.wakers
	if ws != nil {
		t.wakers = nil
		close(ws.jobs)
	}
	return ws
}

// shrunk is called under t.mu when a subscriber left: it drops the wakers
// of a topic that no longer needs them, to be waited for as with
// dropWakers.
func (t *topic) shrunk() *wakers {
	if t.wakers != nil && len(t.subs) < parallelWake {
		return t.dropWakers()
	}
	return nil
}

// wakeAll wakes t's subscribers for the entry seq, sharing the work with
// the wakers when the topic is big, and returns the slow policy's count.
// t.mu is held throughout, so the wakers see t.subs as it is and are done
// before a subscriber comes or goes.
func (t *topic) wakeAll(seq uint64) wakeCount {
	subs := t.subs
	procs := runtime.GOMAXPROCS(0)
	k := min(procs, len(subs)/parallelWake)
	if k < 2 {
		return t.wake(seq, subs)
	}
	ws := t.wakers
	if ws != nil && len(ws.job) < k-1 {
		// GOMAXPROCS grew (the runtime follows a container's CPU
		// limit): make room for more wakers. The old ones are idle and
		// need no lock to exit.
		t.dropWakers().wait()
		ws = nil
	}
	if ws == nil {
		if t.closed.Load() {
			// Hub.Close has dropped the wakers, or will not see these.
			return t.wake(seq, subs)
		}
		ws = startWakers(t, procs-1)
		t.wakers = ws
	}
	k = min(k, len(ws.job)+1)
	per := (len(subs) + k - 1) / k
	ws.busy.Add(k - 1)
	for i := range ws.job[:k-1] {
		j := &ws.job[i]
		j.seq = seq
		j.subs = subs[min(len(subs), (i+1)*per):min(len(subs), (i+2)*per)]
		ws.jobs <- j // never blocks: the channel holds a job per waker
	}
	w := t.wake(seq, subs[:per])
	ws.busy.Wait()
	for i := range ws.job[:k-1] {
		j := &ws.job[i]
		w.dropped += j.w.dropped
		w.slow += j.w.slow
		*j = wakeJob{} // hold no subscriber past the publish
	}
	return w
}

// wake signals subs that the entry seq is in the ring, first moving the
// cursor of each whose queue overflowed as the slow policy says.
func (t *topic) wake(seq uint64, subs []*Subscription) (w wakeCount) {
	h := t.hub
	big := len(subs) >= yieldFrom
	readied := 0
	for _, s := range subs {
		v := s.cursor.Load()
		for v&deadBit == 0 && seq-(v&seqMask) > h.queue {
			// Queue full: the subscriber has more than QueueSize
			// unread events.
			var nv uint64
			if h.policy == Disconnect {
				nv = v | deadBit
			} else {
				nv = (seq - h.queue) | gapBit
			}
			if s.cursor.CompareAndSwap(v, nv) {
				if h.policy == Disconnect {
					w.slow++
				} else {
					w.dropped += int64(seq - h.queue - (v & seqMask))
				}
				break
			}
			v = s.cursor.Load()
		}
		s.signal()
		// An empty buffer after the signal: it went straight to a
		// waiting reader, which is now ready to run.
		if big && len(s.wake) == 0 {
			if readied++; readied == yieldEvery {
				readied = 0
				runtime.Gosched()
			}
		}
	}
	return w
}
