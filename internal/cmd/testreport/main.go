// Command testreport reads `go test -json` from standard input and prints
// what a plain `go test` run would (each package's result line, the output
// of failed tests, build errors), then every skipped test with the reason
// it gave. The Makefile pipes each module's test run through it, so a
// newcomer's `make test` ends by saying what did not run and why.
//
// With -skips FILE, the skipped tests are appended to FILE as well, so that
// one list can be printed after every module has run.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// skip is one skipped test and the reason its output gave.
type skip struct {
	Package, Test, Reason string
}

func main() {
	skipsFile := flag.String("skips", "", "append skipped tests to this file")
	flag.Parse()
	skips, err := report(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	if len(skips) == 0 {
		return
	}
	var b strings.Builder
	for _, s := range skips {
		fmt.Fprintf(&b, "SKIP %s %s: %s\n", s.Package, s.Test, s.Reason)
	}
	fmt.Print(b.String())
	if *skipsFile != "" {
		f, err := os.OpenFile(*skipsFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(1)
		}
		defer f.Close()
		if _, err := f.WriteString(b.String()); err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(1)
		}
	}
}

// report copies the lines a plain `go test` would print from the JSON
// stream in to out, and returns the skipped tests in the order they ended.
// A line that is not JSON (the toolchain's own errors) is copied as is.
func report(in io.Reader, out io.Writer) ([]skip, error) {
	type key struct{ pkg, test string }
	buffered := map[key][]string{}
	var skips []skip
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(out, "%s\n", line)
			continue
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "build-output":
			fmt.Fprint(out, e.Output)
		case e.Action == "output" && e.Test == "":
			if !strings.HasPrefix(e.Output, "=== ") && e.Output != "PASS\n" {
				fmt.Fprint(out, e.Output)
			}
		case e.Action == "output":
			buffered[k] = append(buffered[k], e.Output)
		case e.Action == "fail" && e.Test != "":
			fmt.Fprint(out, strings.Join(buffered[k], ""))
			delete(buffered, k)
		case e.Action == "skip" && e.Test != "":
			skips = append(skips, skip{e.Package, e.Test, reason(buffered[k])})
			delete(buffered, k)
		case e.Action == "pass" && e.Test != "":
			delete(buffered, k)
		}
	}
	return skips, sc.Err()
}

// reason joins what a skipped test logged, without the framing lines.
func reason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}
