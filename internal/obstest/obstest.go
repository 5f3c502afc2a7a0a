// Package obstest plays a scripted streaming session against a real server,
// for the tests of the metrics exporters (metrics/prometheus,
// metrics/otel): streams opened and closed, events sent, a client that
// leaves, a client cut off for falling behind a hub, one cut off by its
// write deadline, and events dropped for a slow subscriber. It returns the
// exact counts the session produced, for the test to compare with what its
// exporter reports.
package obstest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// The session's shape.
const (
	Ticks        = 3  // SSE streams of TickEvents events each, closed by the handler
	TickEvents   = 5  // events per tick stream
	Records      = 2  // NDJSON records of the one NDJSON stream
	BigEvents    = 64 // events published to the slow client's topic
	BigEventSize = 512 << 10
	DropQueue    = 4  // queue of the drop-oldest hub
	DropEvents   = 10 // events published past a subscriber that does not read
	SlowTopic    = "big"
	DropTopic    = "feed"
)

// Expect is what the session produced. Per-kind maps are keyed by the
// stream kind ("sse", "ndjson", "chunked").
type Expect struct {
	Opened      map[string]int64
	Ended       map[string]map[core.EndReason]int64
	FirstEvents map[string]int64 // streams that flushed at least one event
	Events      map[string]int64
	Bytes       map[string]int64

	Published       int64
	Dropped         int64
	SlowDisconnects int64 // by the hub, not counting write timeouts
	Resyncs         map[hub.Reason]int64
	Subscribed      int64 // subscriptions made; all are closed at the end

	// Stats is the registry's at the end.
	Stats core.Stats
}

// Session is a scripted session's server.
type Session struct {
	URL    string
	Client *http.Client
}

// Run serves the session's routes with reg (whose Observer is the
// exporter under test; it must also be a hub.Observer for the hub counts)
// plus whatever mount adds, plays the script, waits until every stream has
// ended, and returns the server, still running until the test ends, and
// the counts.
func Run(t testing.TB, reg *core.Registry, mount func(*http.ServeMux)) (*Session, Expect) {
	t.Helper()
	// The exporter hears of a stream's end a moment after the registry
	// lets it go (from the goroutine that noticed the client leave): count
	// the ends it is told of, to wait for them all.
	hubObs, _ := reg.Observer.(hub.Observer)
	ends := &endCounter{inner: reg.Observer}
	reg.Observer = ends
	slowHub := hub.New(&hub.Options{Registry: reg, Observer: hubObs, QueueSize: DropQueue, Policy: hub.Disconnect})
	dropHub := hub.New(&hub.Options{Registry: reg, Observer: hubObs, QueueSize: DropQueue})
	t.Cleanup(func() { slowHub.Close(); dropHub.Close() })

	var handlers sync.WaitGroup
	downloadEnded := make(chan error, 1)
	mux := http.NewServeMux()
	route := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			handlers.Add(1)
			defer handlers.Done()
			h(w, r)
		})
	}
	sseOpts := &sse.Options{Registry: reg, Heartbeat: -1, WriteTimeout: time.Minute}
	route("GET /ticks", func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := sse.NewStream(c, sseOpts)
		if err != nil {
			return
		}
		defer s.Close()
		for i := 1; i <= TickEvents; i++ {
			s.Send(&sse.Event{ID: strconv.Itoa(i), Type: "tick", Data: fmt.Sprintf(`{"n":%d}`, i)})
		}
	})
	route("GET /records", func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := ndjson.NewStream(c, &ndjson.Options{Registry: reg})
		if err != nil {
			return
		}
		defer s.Close()
		for i := 1; i <= Records; i++ {
			s.Encode(map[string]int{"n": i})
		}
	})
	route("GET /hold", func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := sse.NewStream(c, sseOpts)
		if err != nil {
			return
		}
		defer s.Close()
		s.Send(&sse.Event{Data: "hello"})
		<-s.Context().Done()
	})
	route("GET /topics/{topic}", func(w http.ResponseWriter, r *http.Request) {
		sub, err := slowHub.Subscribe(r.Context(), r.PathValue("topic"), "")
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		c, _ := core.NewHTTPConn(w, r)
		s, err := sse.NewStream(c, sseOpts)
		if err != nil {
			sub.Close()
			return
		}
		slowHub.ServeSSE(s, sub)
	})
	route("GET /download", func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.NewHTTPConn(w, r)
		s, err := chunked.NewStream(c, &chunked.Options{Registry: reg, WriteTimeout: 300 * time.Millisecond})
		if err != nil {
			return
		}
		defer s.Close()
		chunk := bytes.Repeat([]byte{'z'}, 64<<10)
		for i := 0; i < 1<<14; i++ { // at most 1 GiB, far more than the socket buffers
			if _, err := s.Write(chunk); err != nil {
				break
			}
		}
		downloadEnded <- s.Err()
	})
	if mount != nil {
		mount(mux)
	}
	srv := httptest.NewServer(mux)
	client := srv.Client()
	t.Cleanup(func() {
		client.CloseIdleConnections()
		srv.Close()
	})

	e := Expect{
		Opened:      map[string]int64{},
		Ended:       map[string]map[core.EndReason]int64{"sse": {}, "ndjson": {}, "chunked": {}},
		FirstEvents: map[string]int64{},
		Events:      map[string]int64{},
		Bytes:       map[string]int64{},
		Resyncs:     map[hub.Reason]int64{},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	get := func(ctx context.Context, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return resp
	}
	readAll := func(resp *http.Response) []byte {
		t.Helper()
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading %s: %v", resp.Request.URL.Path, err)
		}
		return b
	}

	// Finite streams, read to their end.
	for range Ticks {
		body := readAll(get(ctx, "/ticks"))
		if n := countEvents(body); n != TickEvents {
			t.Fatalf("/ticks sent %d events, want %d", n, TickEvents)
		}
		e.add("sse", core.EndClosed, TickEvents, len(body))
	}
	body := readAll(get(ctx, "/records"))
	if n := bytes.Count(body, []byte("\n")); n != Records {
		t.Fatalf("/records sent %d records, want %d", n, Records)
	}
	e.add("ndjson", core.EndClosed, Records, len(body))

	// A client that leaves after the first event.
	holdCtx, leave := context.WithCancel(ctx)
	resp := get(holdCtx, "/hold")
	first, err := bufio.NewReader(resp.Body).ReadString('\n') // "data: hello\n"
	if err != nil || first != "data: hello\n" {
		t.Fatalf("/hold: first line %q, %v", first, err)
	}
	leave()
	resp.Body.Close()
	e.add("sse", core.EndClientGone, 1, len("data: hello\n\n"))

	// A subscriber that does not read while its topic gets far more than
	// the socket buffers and its queue hold: the hub cuts it off, and it
	// reads what was sent, ending with the slow-client resync.
	resp = get(ctx, "/topics/"+SlowTopic)
	big := strings.Repeat("x", BigEventSize)
	for range BigEvents {
		if _, err := slowHub.Publish(ctx, SlowTopic, hub.Message{Data: big}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	body = readAll(resp)
	n := countEvents(body)
	if n >= BigEvents || !bytes.Contains(body, []byte(`"reason":"slow"`)) {
		t.Fatalf("the slow subscriber read %d events and %d bytes, without being cut off", n, len(body))
	}
	e.add("sse", core.EndSlowClient, int64(n), len(body))
	e.Published += BigEvents
	e.SlowDisconnects++
	e.Resyncs[hub.ReasonSlow]++
	e.Subscribed++

	// A client that stops reading a download: its write deadline cuts it.
	dlCtx, stop := context.WithCancel(ctx)
	resp = get(dlCtx, "/download")
	select {
	case err := <-downloadEnded:
		if !errors.Is(err, core.ErrWriteTimeout) {
			t.Fatalf("/download ended with %v, want a write timeout", err)
		}
	case <-ctx.Done():
		t.Fatal("/download never timed out")
	}
	stop()
	resp.Body.Close()
	e.Opened["chunked"]++
	e.Ended["chunked"][core.EndWriteTimeout]++
	e.FirstEvents["chunked"]++

	// A subscriber of the drop-oldest hub that reads only after the
	// publisher has run DropEvents past its queue.
	sub, err := dropHub.Subscribe(ctx, DropTopic, "")
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	for i := range DropEvents {
		if _, err := dropHub.Publish(ctx, DropTopic, hub.Message{Data: strconv.Itoa(i)}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	for i := range DropQueue + 1 {
		ev, err := sub.Next(ctx)
		if err != nil || (i == 0) != (ev.Resync == hub.ReasonDropped) {
			t.Fatalf("drop-oldest subscriber's event %d: %+v, %v", i, ev, err)
		}
	}
	sub.Close()
	e.Published += DropEvents
	e.Dropped += DropEvents - DropQueue
	e.Resyncs[hub.ReasonDropped]++
	e.Subscribed++

	// Every stream ends (the client that left is noticed asynchronously),
	// and the exporter has been told.
	for reg.Stats().Active != 0 || ends.ended.Load() != e.Streams() {
		if ctx.Err() != nil {
			t.Fatalf("streams still open: %+v; %d ends observed", reg.Stats(), ends.ended.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	handlers.Wait()
	e.Stats = reg.Stats()
	// The download's events and bytes are what its successful flushes
	// sent: whatever the registry counted beyond the other streams.
	e.Events["chunked"] = e.Stats.Messages - e.Events["sse"] - e.Events["ndjson"]
	e.Bytes["chunked"] = e.Stats.Bytes - e.Bytes["sse"] - e.Bytes["ndjson"]
	return &Session{URL: srv.URL, Client: client}, e
}

func (e *Expect) add(kind string, reason core.EndReason, events int64, bytes int) {
	e.Opened[kind]++
	e.Ended[kind][reason]++
	e.Events[kind] += events
	e.Bytes[kind] += int64(bytes)
	if events > 0 {
		e.FirstEvents[kind]++
	}
}

// countEvents counts the SSE events of a body whose data has no blank line.
func countEvents(body []byte) int { return bytes.Count(body, []byte("\n\n")) }

// Streams is the sum of Opened.
func (e *Expect) Streams() int64 {
	var n int64
	for _, v := range e.Opened {
		n += v
	}
	return n
}

// endCounter passes a registry's observer calls on and counts the ends.
type endCounter struct {
	inner core.Observer
	ended atomic.Int64
}

func (c *endCounter) StreamOpened(info core.StreamInfo) core.StreamProbe {
	return &countedProbe{StreamProbe: c.inner.StreamOpened(info), c: c}
}

type countedProbe struct {
	core.StreamProbe
	c *endCounter
}

func (p *countedProbe) Ended(e core.StreamEnd) {
	p.StreamProbe.Ended(e)
	p.c.ended.Add(1)
}
