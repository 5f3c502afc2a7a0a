package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Bench is the parsed output of go test -bench: each benchmark's lines,
// by name without the "Benchmark" prefix and the -GOMAXPROCS suffix.
type Bench struct {
	// CPU is the "cpu:" line go test prints, if any.
	CPU string
	// Lines maps a name such as "SSEEncode/streamkit" to the metrics of
	// each of its runs (one per -count), unit to value.
	Lines map[string][]map[string]float64
}

// ParseBench reads go test -bench output. Lines other than benchmark
// results and the cpu line are ignored, so the output of several packages
// may be concatenated.
func ParseBench(r io.Reader) (Bench, error) {
	b := Bench{Lines: make(map[string][]map[string]float64)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok && b.CPU == "" {
			b.CPU = strings.TrimSpace(cpu)
			continue
		}
		name, metrics, ok := parseLine(line)
		if ok {
			b.Lines[name] = append(b.Lines[name], metrics)
		}
	}
	return b, sc.Err()
}

// parseLine parses "BenchmarkName-2  N  v1 unit1  v2 unit2 ...".
func parseLine(line string) (string, map[string]float64, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return "", nil, false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return "", nil, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	m := make(map[string]float64, (len(f)-2)/2)
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, false
		}
		m[f[i+1]] = v
	}
	return name, m, true
}

// Metric returns the median over the runs of name of the metric unit, and
// whether there was one.
func (b Bench) Metric(name, unit string) (float64, bool) {
	vs := b.values(name, unit)
	if len(vs) == 0 {
		return 0, false
	}
	return median(vs), true
}

// PairedRatio returns the median over the runs of num's metric unit divided
// by den's in the same run, with the number of runs, when both have it in
// every run and ran as often: the script runs the two in the same
// invocation of the benchmark binary, one after the other, so run i of
// each comes from invocation i, measured moments apart. Noise that slows
// one of them in one run then moves one ratio, where it would move the
// median of that benchmark alone and so the ratio of the medians.
// Otherwise it returns the ratio of the medians and 1.
func (b Bench) PairedRatio(num, den, unit string) (ratio float64, runs int, ok bool) {
	n, d := b.values(num, unit), b.values(den, unit)
	if len(n) == 0 || len(d) == 0 {
		return 0, 0, false
	}
	if len(n) != len(d) || len(n) != len(b.Lines[num]) || len(d) != len(b.Lines[den]) {
		return median(n) / median(d), 1, true
	}
	rs := make([]float64, len(n))
	for i := range n {
		rs[i] = n[i] / d[i]
	}
	return median(rs), len(rs), true
}

// values returns the metric unit of each run of name that has it, in the
// order of the runs.
func (b Bench) values(name, unit string) []float64 {
	var vs []float64
	for _, m := range b.Lines[name] {
		if v, ok := m[unit]; ok {
			vs = append(vs, v)
		}
	}
	return vs
}

func median(vs []float64) float64 {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// Names returns the benchmark names that start with prefix, sorted.
func (b Bench) Names(prefix string) []string {
	var out []string
	for name := range b.Lines {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (b Bench) String() string { return fmt.Sprintf("%d benchmarks", len(b.Lines)) }
