package core_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// Many streams with different intervals share the heartbeat queue: each
// gets its own heartbeats, and a stream leaves the queue when it ends,
// however it ends.
func TestHeartbeatsShareOneQueue(t *testing.T) {
	const n = 60
	hb := func(b []byte) []byte { return append(b, '.') }
	recs := make([]*streamtest.Recorder, n)
	streams := make([]*core.Stream, n)
	for i := range n {
		recs[i] = streamtest.NewRecorder()
		streams[i] = mustNew(t, recs[i], &core.Options{
			Heartbeat:        time.Duration(2+i%7) * time.Millisecond,
			HeartbeatMessage: hb,
		})
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			deadline := time.Now().Add(10 * time.Second)
			for strings.Count(recs[i].Flushed(), ".") < 2 && time.Now().Before(deadline) {
				recs[i].WaitFlush(time.Second)
			}
			if got := strings.Count(recs[i].Flushed(), "."); got < 2 {
				t.Errorf("stream %d: %d heartbeats, want at least 2", i, got)
			}
		})
	}
	wg.Wait()
	for i, s := range streams {
		// Between firing and rescheduling a stream is out of the queue
		// for a moment: wait for it to come back. Once seen queued it
		// counts, since it may fire again right after.
		queued := core.HeartbeatQueued(s)
		for deadline := time.Now().Add(5 * time.Second); !queued && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
			queued = core.HeartbeatQueued(s)
		}
		if !queued {
			t.Errorf("open stream %d is not in the heartbeat queue", i)
		}
	}
	// End them in every way: Close, the client leaving, a failed write.
	for i, s := range streams {
		switch i % 3 {
		case 0:
			s.Close()
		case 1:
			recs[i].Disconnect()
			<-s.Context().Done()
			s.Close()
		case 2:
			recs[i].FailWrites(errors.New("test: write failed"))
			deadline := time.Now().Add(10 * time.Second)
			for s.Context().Err() == nil && time.Now().Before(deadline) {
				s.Write([]byte("x")) //nolint:errcheck // the failure is the point
				time.Sleep(time.Millisecond)
			}
			s.Close()
		}
		if core.HeartbeatQueued(s) {
			t.Errorf("stream %d is still queued after it ended", i)
		}
	}
}

// Streams ending while their heartbeats fire never stay queued.
func TestHeartbeatEndRace(t *testing.T) {
	hb := func(b []byte) []byte { return append(b, '.') }
	for range 200 {
		rec := streamtest.NewRecorder()
		s, err := core.New(rec, &core.Options{Heartbeat: time.Microsecond, HeartbeatMessage: hb})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(len(rec.Flushed())%3) * time.Microsecond)
		if len(rec.Flushed())%2 == 0 {
			rec.Disconnect()
			<-s.Context().Done()
		}
		s.Close()
		if core.HeartbeatQueued(s) {
			t.Fatal("an ended stream is still queued")
		}
	}
}
