package hub

// SetParallelWake sets the number of subscribers per goroutine past which a
// publish shares the wake-ups with the topic's wakers, and returns a
// function that restores it.
func SetParallelWake(n int) (restore func()) {
	old := parallelWake
	parallelWake = n
	return func() { parallelWake = old }
}

// Wakers returns the number of wake goroutines running for h's topics.
func (h *Hub) Wakers() int { return int(h.wakers.Load()) }

// SetYield makes wake loops over topics of from subscribers or more yield
// after every readied readers, until the returned func restores the
// defaults.
func SetYield(from, every int) func() {
	oldFrom, oldEvery := yieldFrom, yieldEvery
	yieldFrom, yieldEvery = from, every
	return func() { yieldFrom, yieldEvery = oldFrom, oldEvery }
}
