// Command demo is a small net/http server that streams with streamkit's
// core. It is what `make run` starts until the example servers exist.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/core"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()

	var reg core.Registry
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	// GET /ticks streams one line per second until the client leaves.
	mux.HandleFunc("GET /ticks", func(w http.ResponseWriter, r *http.Request) {
		c, err := core.NewHTTPConn(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s, err := core.New(c, &core.Options{ContentType: "text/plain; charset=utf-8", Registry: &reg})
		if err != nil {
			return // already answered with 503
		}
		defer s.Close()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for n := 1; ; n++ {
			if _, err := fmt.Fprintf(s, "tick %d\n", n); err != nil {
				return
			}
			select {
			case <-s.Done():
				return
			case <-t.C:
			}
		}
	})

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		reg.Shutdown(sctx)
		srv.Shutdown(sctx)
	}()
	log.Printf("streamkit demo: open http://%s/ticks (curl -N)", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
