package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/streamkit/streamkit/core"
)

// ShutdownTimeout bounds a graceful shutdown: the streams' farewells, the
// hub, then the server. A process exits within it however many clients are
// connected.
const ShutdownTimeout = 5 * time.Second

// Run calls serve, which serves until shutdown is called, and waits for
// SIGINT or SIGTERM. Then it shuts down in the order that lets streams end
// well: reg.Shutdown first, so that every open stream sends its farewell (a
// reconnect hint) at a random moment within the registry's spread; then
// closeHub (from [NewHub]), which ends what is left of the subscriptions;
// then shutdown, the
// server's own graceful shutdown, which no longer has open streams to wait
// for. The whole takes at most [ShutdownTimeout].
//
// serve returning on its own is an error (a port already taken, say), which
// Run returns after cleaning up; serve returning after shutdown must return
// nil. Progress goes to log.
func Run(log io.Writer, serve func() error, shutdown func(context.Context) error, reg *core.Registry, closeHub func() error) error {
	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	served := make(chan error, 1)
	go func() { served <- serve() }()

	var err error
	select {
	case err = <-served:
		if err == nil {
			err = errors.New("demo: server stopped on its own")
		}
	case <-sig.Done():
		fmt.Fprintln(log, "shutting down: ending open streams")
	}
	stop() // a second signal kills the process at once

	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if serr := reg.Shutdown(ctx); serr != nil {
		fmt.Fprintf(log, "streams did not end in time: %v\n", serr)
	}
	if cerr := closeHub(); cerr != nil {
		fmt.Fprintf(log, "closing the hub: %v\n", cerr)
	}
	if serr := shutdown(ctx); serr != nil && err == nil {
		err = fmt.Errorf("demo: server shutdown: %w", serr)
	}
	if err == nil {
		select {
		case err = <-served:
		case <-ctx.Done():
			err = fmt.Errorf("demo: server did not stop: %w", ctx.Err())
		}
	}
	return err
}
