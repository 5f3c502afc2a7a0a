// Package proc reads what the benchmarks measure of a process: its CPU
// time and resident memory from /proc (Linux), and the Go runtime's own
// figures, which a benchmark server serves on a side endpoint.
package proc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ),
// 100 per second on every Linux platform Go supports.
const clockTick = 10 * time.Millisecond

// Times is the CPU time a process has used so far: in user mode (its own
// code, the Go runtime's and the libraries') and in the kernel on its
// behalf (system calls, the network stack).
type Times struct{ User, System time.Duration }

// Total is user and system time together.
func (t Times) Total() time.Duration { return t.User + t.System }

// Sub returns the time used between u and t.
func (t Times) Sub(u Times) Times { return Times{t.User - u.User, t.System - u.System} }

// CPU returns the user and system CPU time that process pid has used so
// far, read from /proc/<pid>/stat, at a resolution of 10 ms.
func CPU(pid int) (Times, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Times{}, fmt.Errorf("proc: %w", err)
	}
	return parseStat(b)
}

// parseStat reads utime and stime (fields 14 and 15) from the contents of
// a stat file. The command name, field 2, is in parentheses and may hold
// spaces, so the fields are counted from its closing parenthesis.
func parseStat(b []byte) (Times, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Times{}, fmt.Errorf("proc: malformed stat %q", b)
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state), so field k is fields[k-3].
	if len(fields) < 13 {
		return Times{}, fmt.Errorf("proc: stat has %d fields after the name, want at least 13", len(fields))
	}
	var ticks [2]int64
	for k, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return Times{}, fmt.Errorf("proc: stat field %q: %w", f, err)
		}
		ticks[k] = n
	}
	return Times{User: time.Duration(ticks[0]) * clockTick, System: time.Duration(ticks[1]) * clockTick}, nil
}

// RSS returns the resident set size of process pid in bytes, from the
// VmRSS line of /proc/<pid>/status.
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("proc: %w", err)
	}
	return parseRSS(b)
}

func parseRSS(b []byte) (int64, error) {
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("proc: malformed VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc: VmRSS: %w", err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("proc: no VmRSS line in status")
}

// Runtime is what a benchmark server reports of its Go runtime.
type Runtime struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
	RSS        int64  `json:"rss"`
}

// ReadRuntime reads the calling process's figures, after a garbage
// collection when gc is set, so that the heap holds only live objects and
// the RSS only the pages they and the stacks occupy: the collection is
// debug.FreeOSMemory's, which also returns the freed pages to the
// operating system. Without that, the RSS counts garbage from whenever the
// last cycle ran, which moves by kilobytes per stream between runs of the
// same server.
func ReadRuntime(gc bool) Runtime {
	if gc {
		debug.FreeOSMemory()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, _ := RSS(os.Getpid())
	return Runtime{
		HeapInuse:  ms.HeapInuse,
		HeapAlloc:  ms.HeapAlloc,
		StackInuse: ms.StackInuse,
		Sys:        ms.Sys,
		Goroutines: runtime.NumGoroutine(),
		RSS:        rss,
	}
}

// Handler serves ReadRuntime as JSON; the query gc=1 collects garbage
// first.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ReadRuntime(r.URL.Query().Get("gc") == "1")) //nolint:errcheck // the client reads it or not
	})
}
