package core

import (
	"sync"
	"sync/atomic"
	"time"
)

// clockTick is the resolution of the coarse clock.
const clockTick = 5 * time.Millisecond

// coarse is the clock streams read on every flush, to renew write deadlines
// and to know when they last wrote. Reading the system clock costs tens of
// nanoseconds on some virtual machines, as much as the rest of a flush, so
// a runtime timer stores the time every clockTick instead, while at least
// one stream is open, and a flush reads it with one atomic load. It is no
// setting: there is nothing to configure, and it stops when the last stream
// ends.
var coarse coarseClock

type coarseClock struct {
	nanos atomic.Int64 // Unix nanoseconds, at most clockTick old

	mu    sync.Mutex
	users int
	timer *time.Timer
}

// now returns the time, at most clockTick old, as Unix nanoseconds.
func (c *coarseClock) now() int64 { return c.nanos.Load() }

// acquire keeps the clock running until the matching release.
func (c *coarseClock) acquire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users++
	if c.timer == nil {
		c.nanos.Store(time.Now().UnixNano())
		c.timer = time.AfterFunc(clockTick, c.tick)
	}
}

func (c *coarseClock) release() {
	c.mu.Lock()
	c.users--
	c.mu.Unlock()
}

func (c *coarseClock) tick() {
	c.nanos.Store(time.Now().UnixNano())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users > 0 {
		c.timer.Reset(clockTick)
	} else {
		c.timer = nil
	}
}
