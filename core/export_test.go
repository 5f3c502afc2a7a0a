package core

// ForgetHiddenDeadlineReports lets a test see the once-per-process report
// of a hidden write deadline again.
func ForgetHiddenDeadlineReports() { warnedHiders.Clear() }

// HeartbeatQueued reports whether s waits in the heartbeat queue.
func HeartbeatQueued(s *Stream) bool {
	beats.mu.Lock()
	defer beats.mu.Unlock()
	i := int(s.hbIndex)
	return i >= 0 && i < len(beats.heap) && beats.heap[i] == s
}
