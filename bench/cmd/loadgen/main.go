// Command loadgen runs one end-to-end benchmark: it starts a benchserver
// process for a framework and mode, loads it over loopback, measures the
// server process, and appends one JSON record (see internal/results) to
// the output file.
//
//	loadgen -server bin/benchserver -framework gin -mode streamkit -scenario e2e -c 50 -m 4000 -runs 3 -out e2e.jsonl
//	loadgen -server bin/benchserver -framework gin -mode own -scenario idle -streams 5000 -out idle.jsonl
//
// Scenario e2e opens c streams of m events at once, reads them all
// (counting events, not parsing them), and reports events per second and
// the server's CPU seconds per million events (user and system time, and
// user time alone), read from /proc/<pid>/stat; with -runs, the median
// run by rate. Scenario idle opens -streams idle streams, each of which
// has received one event, and reports the growth of the server's RSS
// (from /proc), Go heap and stacks (from its /stats endpoint, after a
// garbage collection) and goroutines, per stream.
//
// With -hold, the idle streams stay open a while after the measurement,
// so that the server's heap can be profiled through its pprof endpoint.
//
// A measurement that fails is recorded with its error, and loadgen exits
// with status 1.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/streamkit/streamkit/bench/internal/load"
	"github.com/streamkit/streamkit/bench/internal/proc"
	"github.com/streamkit/streamkit/bench/internal/results"
)

type config struct {
	server, framework, mode, scenario, out, cpuprofile, heapprofile string
	conns, events, runs, streams                                    int
	timeout, hold                                                   time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.server, "server", "bin/benchserver", "path of the benchserver binary")
	flag.StringVar(&c.framework, "framework", "nethttp", "framework to serve")
	flag.StringVar(&c.mode, "mode", "streamkit", "mode to serve")
	flag.StringVar(&c.scenario, "scenario", results.KindE2E, "e2e or idle")
	flag.StringVar(&c.out, "out", "", "append the JSON record to this file (default: standard output)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "have the server write a CPU profile to this file")
	flag.StringVar(&c.heapprofile, "heapprofile", "", "idle: after measuring, write the server's heap profile, every allocation sampled, to this file")
	flag.IntVar(&c.conns, "c", 50, "e2e: concurrent streams")
	flag.IntVar(&c.events, "m", 4000, "e2e: events per stream")
	flag.IntVar(&c.runs, "runs", 3, "e2e: runs; the median by rate is reported")
	flag.IntVar(&c.streams, "streams", 5000, "idle: streams to hold open")
	flag.DurationVar(&c.timeout, "timeout", 2*time.Minute, "give up after this long")
	flag.DurationVar(&c.hold, "hold", 0, "idle: keep the streams open this long after measuring, printing the server's addresses, to profile it")
	flag.Parse()
	log.SetPrefix("loadgen: ")
	log.SetFlags(0)

	rec := results.Record{Kind: c.scenario, Framework: c.framework, Mode: c.mode}
	err := run(&c, &rec)
	if err != nil {
		rec.Error = err.Error()
	}
	if werr := write(c.out, rec); werr != nil {
		log.Fatal(werr)
	}
	if err != nil {
		log.Fatalf("%s %s %s: %v", c.scenario, c.framework, c.mode, err)
	}
}

func write(path string, rec results.Record) error {
	if path == "" {
		return json.NewEncoder(os.Stdout).Encode(rec)
	}
	return results.Append(path, rec)
}

// child is a running benchserver.
type child struct {
	cmd       *exec.Cmd
	addr      string
	statsAddr string
}

func startServer(c *config) (*child, error) {
	args := []string{"-framework", c.framework, "-mode", c.mode}
	if c.cpuprofile != "" {
		args = append(args, "-cpuprofile", c.cpuprofile)
	}
	if c.heapprofile != "" {
		args = append(args, "-memprofilerate", "1")
	}
	cmd := exec.Command(c.server, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	ch := &child{cmd: cmd}
	select {
	case s := <-line:
		f := strings.Fields(s)
		if len(f) != 3 || f[0] != "ready" {
			ch.stop()
			return nil, fmt.Errorf("benchserver did not start (said %q)", s)
		}
		ch.addr, ch.statsAddr = f[1], f[2]
		return ch, nil
	case <-time.After(10 * time.Second):
		ch.stop()
		return nil, errors.New("benchserver did not start within 10s")
	}
}

// stop asks the server to exit (writing its profile) and waits for it.
func (ch *child) stop() {
	ch.cmd.Process.Signal(os.Interrupt) //nolint:errcheck // it may be gone
	done := make(chan struct{})
	go func() {
		ch.cmd.Wait() //nolint:errcheck // killed or exited
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		ch.cmd.Process.Kill() //nolint:errcheck // last resort
		<-done
	}
}

// heapProfile writes the server's heap profile, after a garbage
// collection, to file.
func (ch *child) heapProfile(file string) error {
	resp, err := http.Get("http://" + ch.statsAddr + "/debug/pprof/heap?gc=1")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (ch *child) runtime() (proc.Runtime, error) {
	var rt proc.Runtime
	resp, err := http.Get("http://" + ch.statsAddr + "/stats?gc=1")
	if err != nil {
		return rt, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&rt)
	return rt, err
}

func run(c *config, rec *results.Record) error {
	ch, err := startServer(c)
	if err != nil {
		return err
	}
	defer ch.stop()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	switch c.scenario {
	case results.KindE2E:
		return e2e(ctx, c, ch, rec)
	case results.KindIdle:
		return idle(ctx, c, ch, rec)
	}
	return fmt.Errorf("unknown scenario %q", c.scenario)
}

func e2e(ctx context.Context, c *config, ch *child, rec *results.Record) error {
	rec.Conns, rec.EventsPerConn, rec.Runs = c.conns, c.events, c.runs
	pid := ch.cmd.Process.Pid
	// Warm up: connection handling, pools, the first GC cycles.
	if _, err := load.Run(ctx, ch.addr, min(c.conns, 10), min(c.events, 1000)); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	var runs []results.Record
	for range c.runs {
		cpu0, err := proc.CPU(pid)
		if err != nil {
			return err
		}
		tot, err := load.Run(ctx, ch.addr, c.conns, c.events)
		if err != nil {
			return err
		}
		cpu1, err := proc.CPU(pid)
		if err != nil {
			return err
		}
		secs := tot.Elapsed.Seconds()
		used := cpu1.Sub(cpu0)
		cpu := used.Total().Seconds()
		runs = append(runs, results.Record{
			Events:         tot.Events,
			Bytes:          tot.Bytes,
			Seconds:        secs,
			EventsPerSec:   float64(tot.Events) / secs,
			CPUSeconds:     cpu,
			CPUPerMillion:  cpu / float64(tot.Events) * 1e6,
			UserPerMillion: used.User.Seconds() / float64(tot.Events) * 1e6,
		})
	}
	slices.SortFunc(runs, func(a, b results.Record) int {
		switch {
		case a.EventsPerSec < b.EventsPerSec:
			return -1
		case a.EventsPerSec > b.EventsPerSec:
			return 1
		}
		return 0
	})
	m := runs[len(runs)/2]
	rec.Events, rec.Bytes, rec.Seconds = m.Events, m.Bytes, m.Seconds
	rec.EventsPerSec, rec.CPUSeconds, rec.CPUPerMillion, rec.UserPerMillion = m.EventsPerSec, m.CPUSeconds, m.CPUPerMillion, m.UserPerMillion
	for _, r := range runs {
		rec.AllEventsPerSec = append(rec.AllEventsPerSec, r.EventsPerSec)
	}
	return nil
}

func idle(ctx context.Context, c *config, ch *child, rec *results.Record) error {
	rec.Streams = c.streams
	// Warm up with a few streams, so that the baseline includes what the
	// first connections set up once.
	warm, err := load.Idle(ctx, ch.addr, 20, 20)
	if err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	load.Close(warm)
	time.Sleep(500 * time.Millisecond)
	base, err := ch.runtime()
	if err != nil {
		return err
	}
	conns, err := load.Idle(ctx, ch.addr, c.streams, 64)
	if err != nil {
		return err
	}
	defer load.Close(conns)
	time.Sleep(time.Second)
	after, err := ch.runtime()
	if err != nil {
		return err
	}
	n := float64(c.streams)
	rec.RSSPerStream = float64(after.RSS-base.RSS) / n
	rec.HeapPerStream = (float64(after.HeapInuse) - float64(base.HeapInuse)) / n
	rec.StackPerStream = (float64(after.StackInuse) - float64(base.StackInuse)) / n
	rec.GoroutinesPerStream = float64(after.Goroutines-base.Goroutines) / n
	if c.heapprofile != "" {
		if err := ch.heapProfile(c.heapprofile); err != nil {
			return err
		}
	}
	if c.hold > 0 {
		log.Printf("holding %d streams for %v: server %s, stats and pprof on %s", c.streams, c.hold, ch.addr, ch.statsAddr)
		time.Sleep(c.hold)
	}
	return nil
}
