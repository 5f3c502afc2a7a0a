// Package load is the load generator of the end-to-end benchmarks: it
// opens event streams on a benchmark server (see internal/server) and
// counts the events that arrive, without parsing them, so that the client
// costs as little CPU as possible on a machine it shares with the server.
package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// readSize is the size of each read from a stream.
const readSize = 32 << 10

// Counter counts events in an event stream by their ending blank line,
// which is "\n\n" in every stream the benchmark servers send (no CR, and
// no blank line inside an event). It carries the last byte from one call
// to the next, so that a boundary split between two reads is counted.
type Counter struct {
	// Events is the number of blank lines seen so far.
	Events int64
	// Bytes is the number of bytes seen so far.
	Bytes int64
	last  byte
}

var blankLine = []byte("\n\n")

// Add counts the events that end in p.
func (c *Counter) Add(p []byte) {
	if len(p) == 0 {
		return
	}
	c.Bytes += int64(len(p))
	if c.last == '\n' && p[0] == '\n' {
		c.Events++
		p = p[1:] // that LF is used up
		if len(p) == 0 {
			c.last = 0
			return
		}
	}
	c.Events += int64(bytes.Count(p, blankLine))
	c.last = p[len(p)-1]
	// "\n\n\n" would count once and leave a trailing LF that must not
	// pair with the next read's first byte; the streams never send it.
}

// Open connects to addr and requests n events, keeping the stream open
// afterwards when idle is set. It returns the response body, whose chunked
// encoding is undone, and the connection, which the caller closes. The
// response must be 200.
func Open(ctx context.Context, addr string, n int, idle bool) (io.Reader, net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	idleArg := "0"
	if idle {
		idleArg = "1"
	}
	req := fmt.Sprintf("GET /sse?n=%d&idle=%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", n, idleArg, addr)
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, nil, err
	}
	size := readSize
	if idle {
		size = 4 << 10 // thousands of these wait; keep them small
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, size), nil)
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("load: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		conn.Close()
		return nil, nil, fmt.Errorf("load: status %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return resp.Body, conn, nil
}

// Read counts the events of body until want of them have arrived or the
// body ends; buf is the read buffer. It fails when the body ends early.
func Read(body io.Reader, want int64, buf []byte) (Counter, error) {
	var c Counter
	for c.Events < want {
		n, err := body.Read(buf)
		c.Add(buf[:n])
		if err != nil {
			if errors.Is(err, io.EOF) && c.Events >= want {
				break
			}
			return c, fmt.Errorf("load: after %d of %d events: %w", c.Events, want, err)
		}
	}
	return c, nil
}

// Totals is what a run of streams delivered.
type Totals struct {
	Events  int64
	Bytes   int64
	Elapsed time.Duration
}

// Run opens conns streams of n events each at once on addr, reads them
// all, and returns the totals with the time from the first dial to the
// last event. It fails if any stream fails.
func Run(ctx context.Context, addr string, conns, n int) (Totals, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		tot   Totals
		first error
	)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			c, err := stream(ctx, addr, n)
			mu.Lock()
			defer mu.Unlock()
			tot.Events += c.Events
			tot.Bytes += c.Bytes
			if err != nil && first == nil {
				first = err
			}
		})
	}
	wg.Wait()
	tot.Elapsed = time.Since(start)
	return tot, first
}

func stream(ctx context.Context, addr string, n int) (Counter, error) {
	body, conn, err := Open(ctx, addr, n, false)
	if err != nil {
		return Counter{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	return Read(body, int64(n), make([]byte, readSize))
}

// Idle opens count idle streams on addr, dialling at most parallel at a
// time, and returns once each has received its first event. The caller
// closes the connections. On error, the connections opened so far are
// closed.
func Idle(ctx context.Context, addr string, count, parallel int) ([]net.Conn, error) {
	conns := make([]net.Conn, count)
	sem := make(chan struct{}, parallel)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body, conn, err := Open(ctx, addr, 1, true)
			if err == nil {
				_, err = Read(body, 1, make([]byte, 512))
				if err != nil {
					conn.Close()
				}
			}
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
			conns[i] = conn
		})
	}
	wg.Wait()
	if first != nil {
		Close(conns)
		return nil, first
	}
	return conns, nil
}

// Close closes every non-nil connection of conns.
func Close(conns []net.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}
