// Package leakcheck fails a test binary whose tests leave goroutines behind.
//
// It is the dependency-free twin of go.uber.org/goleak for the root module:
// every test package calls [Main] from its TestMain.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Main runs the tests and then checks for leaked goroutines, retrying for a
// while because goroutines of closed servers and connections take a moment
// to exit. It calls os.Exit and does not return.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := Find(5 * time.Second); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutine(s) leaked by the tests:\n\n%s\n",
				len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// Find returns the stacks of goroutines that are neither the caller's nor
// part of the runtime or the testing framework, waiting up to wait for them
// to exit. It returns nil when none remain.
func Find(wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	delay := time.Millisecond
	for {
		leaked := interesting()
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(delay)
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

func interesting() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 {
			continue // the calling goroutine
		}
		if isIgnored(g) {
			continue
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

func isIgnored(stack string) bool {
	lines := strings.Split(stack, "\n")
	if len(lines) < 2 {
		return true
	}
	top := lines[1]
	for _, name := range []string{
		"testing.(*M).",
		"testing.tRunner",
		"testing.runFuzz",
		"testing.(*F).",
		"runtime.goexit",
		"os/signal.signal_recv",
		"os/signal.loop",
		"runtime.ensureSigM",
		"runtime.ReadTrace",
	} {
		if strings.HasPrefix(top, name) {
			return true
		}
	}
	// The testing package parks goroutines in these while tests run in parallel
	// or while the fuzzing coordinator works.
	return strings.Contains(stack, "testing.(*T).Run(") && strings.Contains(stack, "testing.runTests") ||
		strings.Contains(stack, "testing.(*F).Fuzz(") ||
		strings.Contains(stack, "testing/internal/testdeps.")
}
