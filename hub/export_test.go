package hub

// SetParallelWake sets the number of subscribers past which a publish wakes
// them from several goroutines, and returns a function that restores it.
func SetParallelWake(n int) (restore func()) {
	old := parallelWake
	parallelWake = n
	return func() { parallelWake = old }
}
