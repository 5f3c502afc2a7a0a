// Command report writes BENCHMARKS.md from the results of run-bench.sh.
//
//	report -bench results/bench.txt -e2e results/e2e.jsonl -idle results/idle.jsonl \
//	    -gomod go.mod -profile 'Title=results/x.top' -note 'text' -out ../BENCHMARKS.md
//
// -bench takes go test -bench output; -e2e and -idle take the load
// generator's JSON lines; -profile takes a title and a file holding the
// text of go tool pprof -top (repeatable), the title optionally led by a
// key and "@" that ties it to the targets it explains (see
// report.Profile); -extra likewise for other output
// shown verbatim; -note adds a line to the notes (repeatable). A missing input file leaves its section "not measured".
// The machine (CPU model and cores from /proc/cpuinfo), the Go version and
// the date are read at run time; the peers' versions from -gomod.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/streamkit/streamkit/bench/internal/report"
	"github.com/streamkit/streamkit/bench/internal/results"
)

// peers are the modules whose versions the report names.
var peers = []string{
	"github.com/gin-gonic/gin",
	"github.com/gin-contrib/sse",
	"github.com/labstack/echo/v4",
	"github.com/labstack/echo/v5",
	"github.com/cloudwego/hertz",
	"github.com/tmaxmax/go-sse",
	"github.com/r3labs/sse/v2",
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	benchFile := flag.String("bench", "", "go test -bench output")
	e2eFile := flag.String("e2e", "", "end-to-end records (JSON lines)")
	idleFile := flag.String("idle", "", "idle-memory records (JSON lines)")
	gomod := flag.String("gomod", "go.mod", "go.mod to read the peers' versions from")
	out := flag.String("out", "../BENCHMARKS.md", "file to write")
	command := flag.String("command", "bench/run-bench.sh", "how the report was produced")
	var notes, profiles, extras multi
	flag.Var(&notes, "note", "a note for the report (repeatable)")
	flag.Var(&profiles, "profile", "[key@]Title=file of pprof -top text (repeatable)")
	flag.Var(&extras, "extra", "Title=file of other output to show verbatim (repeatable)")
	flag.Parse()
	log.SetPrefix("report: ")
	log.SetFlags(0)

	in := report.Input{
		Date:      time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		Command:   *command,
		Notes:     notes,
	}
	in.CPU, in.Cores = cpuInfo()
	in.Versions = versions(*gomod)

	if *benchFile != "" {
		if f, err := os.Open(*benchFile); err == nil {
			in.Bench, err = report.ParseBench(f)
			f.Close()
			if err != nil {
				log.Fatal(err)
			}
		} else {
			log.Printf("%v: the encoder and hub sections will say not measured", err)
		}
	}
	if in.Bench.CPU != "" && in.CPU == "unknown CPU" {
		in.CPU = in.Bench.CPU
	}
	in.E2E = readRecords(*e2eFile)
	in.Idle = readRecords(*idleFile)
	in.Profiles = readBlocks("-profile", profiles)
	in.Extras = readBlocks("-extra", extras)

	var buf bytes.Buffer
	if err := report.Render(&buf, in); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// readBlocks reads the Title=file arguments of flag; a file that cannot be
// read is left out with a message.
func readBlocks(flag string, args []string) []report.Profile {
	var out []report.Profile
	for _, a := range args {
		title, path, ok := strings.Cut(a, "=")
		if !ok {
			log.Fatalf("%s %q: want [key@]Title=file", flag, a)
		}
		key, rest, keyed := strings.Cut(title, "@")
		if keyed {
			title = rest
		} else {
			key = ""
		}
		b, err := os.ReadFile(path)
		if err != nil {
			log.Printf("%v: left out", err)
			continue
		}
		out = append(out, report.Profile{Key: key, Title: title, Top: string(b)})
	}
	return out
}

func readRecords(path string) []results.Record {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		log.Printf("%v: section left as not measured", err)
		return nil
	}
	defer f.Close()
	recs, err := results.Read(f)
	if err != nil {
		log.Fatal(err)
	}
	return recs
}

// cpuInfo returns the CPU model and the number of logical CPUs from
// /proc/cpuinfo, falling back to the runtime's count.
func cpuInfo() (string, int) {
	model, n := "unknown CPU", 0
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return model, runtime.NumCPU()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			n++
		case "model name":
			if model == "unknown CPU" {
				model = strings.TrimSpace(v)
			}
		}
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	return model, n
}

// versions reads the peers' versions from the require lines of a go.mod.
func versions(path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Printf("%v: peers' versions left out", err)
		return nil
	}
	out := map[string]string{}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) < 2 {
			continue
		}
		for _, p := range peers {
			if f[0] == p {
				out[p] = f[1]
			}
		}
	}
	if len(out) == 0 {
		fmt.Fprintln(os.Stderr, "report: no peer versions found in", path)
	}
	return out
}
