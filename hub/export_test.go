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
