// Command benchserver serves one end-to-end benchmark handler (see
// internal/server) in a process of its own, so that the load generator can
// measure its CPU time and memory alone.
//
//	benchserver -framework gin -mode streamkit [-addr 127.0.0.1:0] [-stats-addr 127.0.0.1:0] [-cpuprofile file] [-memprofilerate n]
//
// Once listening it prints one line to standard output,
//
//	ready <addr> <stats-addr>
//
// and serves the Go runtime's figures as JSON on http://<stats-addr>/stats
// (add ?gc=1 to collect garbage first), and net/http/pprof's profiles under
// http://<stats-addr>/debug/pprof/ (a heap profile of idle streams, say). It stops on SIGINT or SIGTERM,
// writing the CPU profile if one was asked for.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	pprofhttp "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/bench/internal/proc"
	"github.com/streamkit/streamkit/bench/internal/server"
)

func main() {
	framework := flag.String("framework", "nethttp", fmt.Sprintf("one of %v", server.Frameworks))
	mode := flag.String("mode", server.Streamkit, fmt.Sprintf("one of %v", server.Modes))
	addr := flag.String("addr", "127.0.0.1:0", "address of the benchmark server")
	statsAddr := flag.String("stats-addr", "127.0.0.1:0", "address of the /stats endpoint")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	memRate := flag.Int("memprofilerate", 0, "set runtime.MemProfileRate before serving (1 samples every allocation); 0 keeps the default")
	flag.Parse()
	log.SetPrefix("benchserver: ")
	log.SetFlags(0)
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	if err := run(*framework, *mode, *addr, *statsAddr, *cpuprofile); err != nil {
		log.Fatal(err)
	}
}

func run(framework, mode, addr, statsAddr, cpuprofile string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv, err := server.Start(framework, mode, ln)
	if err != nil {
		ln.Close()
		return err
	}
	sln, err := net.Listen("tcp", statsAddr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /stats", proc.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprofhttp.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprofhttp.Profile)
	stats := &http.Server{Handler: mux}
	go stats.Serve(sln) //nolint:errcheck // ErrServerClosed at exit

	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	fmt.Printf("ready %s %s\n", srv.Addr, sln.Addr())
	<-sig

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats.Close()
	srv.Close(ctx) //nolint:errcheck // streams still open at exit are cut
	return nil
}
