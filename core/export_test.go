package core

// ForgetHiddenDeadlineReports lets a test see the once-per-process report
// of a hidden write deadline again.
func ForgetHiddenDeadlineReports() { warnedHiders.Clear() }
