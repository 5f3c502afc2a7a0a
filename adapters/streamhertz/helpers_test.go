package streamhertz

import (
	"compress/gzip"
	"context"
	"io"
	"iter"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/network"
	"github.com/cloudwego/hertz/pkg/protocol/http1/resp"

	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

// get fetches base+path with the given headers and returns the response,
// closed when the test ends.
func get(t *testing.T, client *http.Client, url string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	r, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	t.Cleanup(func() { r.Body.Close() })
	return r
}

func readAll(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading the body: %v (got %q)", err, b)
	}
	return string(b)
}

func TestLastEventID(t *testing.T) {
	cases := []struct {
		name   string
		path   string
		header string
		want   string
	}{
		{"none", "/", "", ""},
		{"header", "/", "7", "7"},
		{"query", "/?lastEventId=a%20b", "", "a b"},
		{"header wins", "/?lastEventId=q", "h", "h"},
		{"too long header, query used", "/?lastEventId=q", strings.Repeat("x", sse.MaxLastEventIDLength+1), "q"},
		{"malformed query", "/?lastEventId=%zz", "", "error"},
		{"semicolon in query", "/?a=1;b=2&lastEventId=3", "", "error"},
		{"malformed query under a usable header", "/?lastEventId=%zz", "h", "h"},
	}
	got := make(chan string, 1)
	h := newServer(t, transports[0])
	h.GET("/", func(c context.Context, ctx *app.RequestContext) {
		id, err := LastEventID(ctx)
		if err != nil {
			id = "error"
		}
		got <- id
		ctx.String(http.StatusOK, "ok")
	})
	base := startServer(t, h)
	client := newClient(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.header != "" {
				hdr = []string{"Last-Event-ID", c.header}
			}
			readAll(t, get(t, client, base+c.path, hdr...))
			if g := <-got; g != c.want {
				t.Errorf("LastEventID = %q, want %q", g, c.want)
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	count := func(n int) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := 1; i <= n; i++ {
				if !yield(i) {
					return
				}
			}
		}
	}
	h := newServer(t, transports[0])
	h.GET("/sse", func(c context.Context, ctx *app.RequestContext) {
		s, err := SSE(c, ctx, nil)
		if err != nil {
			return
		}
		defer s.Close()
		for v := range count(3) {
			sse.SendJSON(s, nil, v)
		}
	})
	h.GET("/ndjson", func(c context.Context, ctx *app.RequestContext) {
		s, err := NDJSON(c, ctx, &ndjson.Options{Envelope: true})
		if err != nil {
			return
		}
		defer s.Close()
		ndjson.Seq(s, count(3))
	})
	h.GET("/ndjson-chan", func(c context.Context, ctx *app.RequestContext) {
		s, err := NDJSON(c, ctx, nil)
		if err != nil {
			return
		}
		defer s.Close()
		ch := make(chan string)
		go func() {
			defer close(ch)
			for _, v := range []string{"x", "y"} {
				select {
				case ch <- v:
				case <-s.Context().Done():
					return
				}
			}
		}()
		ndjson.Chan(s, ch)
	})
	base := startServer(t, h)
	client := newClient(t)

	cases := []struct {
		path   string
		status int
		ctype  string
		body   string
	}{
		{"/sse", 200, sse.ContentType, "data: 1\n\ndata: 2\n\ndata: 3\n\n"},
		{"/ndjson", 200, "application/x-ndjson", "{\"result\":1}\n{\"result\":2}\n{\"result\":3}\n{\"end\":true}\n"},
		{"/ndjson-chan", 200, "application/x-ndjson", "\"x\"\n\"y\"\n"},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			r := get(t, client, base+c.path)
			body := readAll(t, r)
			if r.StatusCode != c.status || body != c.body {
				t.Errorf("got %d %q, want %d %q", r.StatusCode, body, c.status, c.body)
			}
			if got := r.Header.Get("Content-Type"); got != c.ctype {
				t.Errorf("Content-Type = %q, want %q", got, c.ctype)
			}
		})
	}
}

func TestHubTopic(t *testing.T) {
	hb := hub.New(nil)
	t.Cleanup(func() { hb.Close() })
	// With sense on, the subscriber notices at once when the test's client
	// leaves; heartbeats are off here.
	h := newServer(t, transports[3])
	h.GET("/topics/:topic", Middleware(nil), HubTopic(hb, "topic", &sse.Options{Heartbeat: -1}))
	base := startServer(t, h)
	client := newClient(t)

	t.Run("invalid name", func(t *testing.T) {
		r := get(t, client, base+"/topics/no%20spaces")
		if body := readAll(t, r); r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "invalid topic") {
			t.Errorf("got %d %q, want 400 with a reason", r.StatusCode, body)
		}
	})
	t.Run("malformed query", func(t *testing.T) {
		r := get(t, client, base+"/topics/room?lastEventId=%zz")
		if body := readAll(t, r); r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "malformed query") {
			t.Errorf("got %d %q, want 400 with a reason", r.StatusCode, body)
		}
	})
	t.Run("history then live", func(t *testing.T) {
		ctx := context.Background()
		first, err := hb.Publish(ctx, "room", hub.Message{Type: "chat", Data: "one"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hb.Publish(ctx, "room", hub.Message{Type: "chat", Data: "two"}); err != nil {
			t.Fatal(err)
		}
		r := get(t, client, base+"/topics/room", "Last-Event-ID", first)
		events := sse.NewReader(r.Body, nil)
		ev, err := events.Next()
		if err != nil || ev.Data != "two" || ev.Type != "chat" {
			t.Fatalf("first event after %s: %+v, %v; want the replayed \"two\"", first, ev, err)
		}
		if _, err := hb.Publish(ctx, "room", hub.Message{Type: "chat", Data: "three"}); err != nil {
			t.Fatal(err)
		}
		ev, err = events.Next()
		if err != nil || ev.Data != "three" {
			t.Fatalf("live event: %+v, %v; want \"three\"", ev, err)
		}
	})
}

// gzipWriter is a compressing hijack writer such as a hertz compression
// middleware installs before the handler: it compresses into the chunked
// writer and flushes both on Flush.
type gzipWriter struct {
	inner network.ExtWriter
	gz    *gzip.Writer
}

func (w *gzipWriter) Write(p []byte) (int, error) { return w.gz.Write(p) }

func (w *gzipWriter) Flush() error {
	if err := w.gz.Flush(); err != nil {
		return err
	}
	return w.inner.Flush()
}

func (w *gzipWriter) Finalize() error {
	if err := w.gz.Close(); err != nil {
		return err
	}
	return w.inner.Finalize()
}

// TestPreinstalledWriter checks that a stream writes through a hijack
// writer installed before it, event by event, and that a write deadline
// still lifts the server's write timeout.
func TestPreinstalledWriter(t *testing.T) {
	for _, tr := range []transport{transports[0], transports[2]} {
		t.Run(tr.name, func(t *testing.T) {
			gotFirst := make(chan struct{})
			h := newServer(t, tr)
			compress := func(c context.Context, ctx *app.RequestContext) {
				ctx.Response.Header.Set("Content-Encoding", "gzip")
				inner := resp.NewChunkedBodyWriter(&ctx.Response, ctx.GetWriter())
				ctx.Response.HijackWriter(&gzipWriter{inner: inner, gz: gzip.NewWriter(inner)})
				ctx.Next(c)
			}
			h.GET("/", Middleware(nil), compress, func(c context.Context, ctx *app.RequestContext) {
				s, err := SSE(c, ctx, nil)
				if err != nil {
					return
				}
				defer s.Close()
				s.Send(&sse.Event{Data: "one"}) //nolint:errcheck
				select {
				case <-gotFirst:
				case <-time.After(5 * time.Second):
					t.Errorf("event one did not arrive before event two was due")
				}
				s.Send(&sse.Event{Data: "two"}) //nolint:errcheck
			})
			base := startServer(t, h)
			r := get(t, newClient(t), base, "Accept-Encoding", "gzip")
			if r.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("Content-Encoding = %q, want gzip", r.Header.Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			events := sse.NewReader(zr, nil)
			if ev, err := events.Next(); err != nil || ev.Data != "one" {
				t.Fatalf("first event: %+v, %v", ev, err)
			}
			close(gotFirst)
			if ev, err := events.Next(); err != nil || ev.Data != "two" {
				t.Fatalf("second event: %+v, %v", ev, err)
			}
			if _, err := events.Next(); err != io.EOF {
				t.Errorf("after the last event: %v, want io.EOF", err)
			}
		})
	}
}

func TestChunked(t *testing.T) {
	gotFirst := make(chan struct{})
	h := newServer(t, transports[0])
	h.GET("/download", Middleware(nil), func(c context.Context, ctx *app.RequestContext) {
		s, err := Chunked(c, ctx, &chunked.Options{ContentType: "text/csv"})
		if err != nil {
			t.Errorf("Chunked: %v", err)
			return
		}
		defer s.Close()
		ctx.Response.Header.Set("Content-Disposition", `attachment; filename="rows.csv"`)
		io.WriteString(s, "a,b\n") //nolint:errcheck
		select {
		case <-gotFirst:
		case <-time.After(5 * time.Second):
			t.Errorf("the client did not get row 1 before row 2 was due")
		}
		io.WriteString(s, "1,2\n") //nolint:errcheck
	})
	base := startServer(t, h)
	r := get(t, newClient(t), base+"/download")
	if got := r.Header.Get("Content-Type"); got != "text/csv" {
		t.Errorf("Content-Type = %q, want text/csv", got)
	}
	if got := r.Header.Get("Content-Disposition"); got == "" {
		t.Errorf("Content-Disposition set after Chunked is missing")
	}
	first := make([]byte, 4)
	if _, err := io.ReadFull(r.Body, first); err != nil || string(first) != "a,b\n" {
		t.Fatalf("first row = %q, %v", first, err)
	}
	close(gotFirst)
	if rest := readAll(t, r); rest != "1,2\n" {
		t.Errorf("rest = %q, want %q", rest, "1,2\n")
	}
}
