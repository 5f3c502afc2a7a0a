package streamhertz_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/network/standard"
	"github.com/cloudwego/hertz/pkg/protocol"

	"github.com/streamkit/streamkit/adapters/streamhertz"
	"github.com/streamkit/streamkit/chunked"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
	"github.com/streamkit/streamkit/upload"
)

// discard is a logger for examples that provoke errors.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// serve runs a hertz server with the given routes on a free loopback port
// and returns its base URL and a function that shuts it down.
func serve(routes func(h *server.Hertz)) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	h := server.New(
		server.WithListener(ln),
		server.WithSenseClientDisconnection(true),
		server.WithDisablePrintRoute(true),
	)
	routes(h)
	go h.Run() //nolint:errcheck // returns at Shutdown
	for !h.IsRunning() {
		time.Sleep(time.Millisecond)
	}
	return "http://" + ln.Addr().String(), func() { h.Shutdown(context.Background()) } //nolint:errcheck
}

// fetch prints the status, the content type and the body of a GET.
func fetch(url string, header ...string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	fmt.Print(string(body))
	if err != nil {
		fmt.Println(err)
	}
}

// A stream route: the middleware, then a handler that opens an SSE stream
// with the helper and sends events until it is done.
func Example() {
	reg := &core.Registry{Limit: 1000}
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/events", streamhertz.Middleware(&streamhertz.Config{Registry: reg}),
			func(c context.Context, ctx *app.RequestContext) {
				s, err := streamhertz.SSE(c, ctx, nil)
				if err != nil {
					return // already answered: 500 or 503
				}
				defer s.Close()
				for i := 1; i <= 3; i++ {
					if err := s.Send(&sse.Event{ID: fmt.Sprint(i), Data: fmt.Sprintf("tick %d", i)}); err != nil {
						return // the client left
					}
				}
			})
	})
	defer stop()
	fetch(base + "/events")
	fmt.Println("streams:", reg.Stats().Total)
	// Output:
	// 200 text/event-stream; charset=utf-8
	// id: 1
	// data: tick 1
	//
	// id: 2
	// data: tick 2
	//
	// id: 3
	// data: tick 3
	//
	// streams: 1
}

// Conn binds the request to the core engine directly.
func ExampleConn() {
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/raw", func(c context.Context, ctx *app.RequestContext) {
			conn, err := streamhertz.NewConn(c, ctx)
			if err != nil {
				ctx.String(http.StatusInternalServerError, err.Error())
				return
			}
			st, err := core.New(conn, &core.Options{ContentType: "text/plain; charset=utf-8"})
			if err != nil {
				return
			}
			defer st.Close()
			fmt.Fprintf(st, "line %d\n", 1)
			fmt.Fprintf(st, "line %d\n", 2)
		})
	})
	defer stop()
	fetch(base + "/raw")
	// Output:
	// 200 text/plain; charset=utf-8
	// line 1
	// line 2
}

func ExampleSSE() {
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/events", func(c context.Context, ctx *app.RequestContext) {
			s, err := streamhertz.SSE(c, ctx, &sse.Options{Retry: 2 * time.Second})
			if err != nil {
				return
			}
			defer s.Close()
			sse.SendJSON(s, &sse.Event{Type: "price"}, map[string]float64{"eur": 1.5}) //nolint:errcheck
		})
	})
	defer stop()
	fetch(base + "/events")
	// Output:
	// 200 text/event-stream; charset=utf-8
	// retry: 2000
	//
	// event: price
	// data: {"eur":1.5}
	//
}

func ExampleNDJSON() {
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/rows", func(c context.Context, ctx *app.RequestContext) {
			s, err := streamhertz.NDJSON(c, ctx, nil)
			if err != nil {
				return
			}
			defer s.Close()
			for i := range 2 {
				if err := s.Encode(map[string]int{"row": i}); err != nil {
					return
				}
			}
		})
	})
	defer stop()
	fetch(base + "/rows")
	// Output:
	// 200 application/x-ndjson
	// {"row":0}
	// {"row":1}
}

// With Config.Recover the middleware recovers a panic: before anything was
// streamed, the client gets an ordinary 500. Without it, the panic goes on
// to hertz's recovery middleware, or your own.
func ExampleMiddleware() {
	base, stop := serve(func(h *server.Hertz) {
		stream := h.Group("/stream", streamhertz.Middleware(&streamhertz.Config{Recover: true, Logger: discard}))
		stream.GET("/broken", func(c context.Context, ctx *app.RequestContext) {
			panic("not yet implemented")
		})
	})
	defer stop()
	fetch(base + "/stream/broken")
	// Output:
	// 500 text/plain; charset=utf-8
	// streamhertz: internal server error
}

func ExampleLastEventID() {
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/resume", func(c context.Context, ctx *app.RequestContext) {
			last, err := streamhertz.LastEventID(ctx)
			if err != nil {
				ctx.String(http.StatusBadRequest, "%s\n", err)
				return
			}
			ctx.String(http.StatusOK, "resume after %q\n", last)
		})
	})
	defer stop()
	fetch(base+"/resume?lastEventId=41", "Last-Event-ID", "42")
	fetch(base + "/resume?lastEventId=41")
	fetch(base + "/resume?lastEventId=%zz")
	// Output:
	// 200 text/plain; charset=utf-8
	// resume after "42"
	// 200 text/plain; charset=utf-8
	// resume after "41"
	// 400 text/plain; charset=utf-8
	// sse: cannot read lastEventId from a malformed query: invalid URL escape "%zz"
}

// An iterator streamed as NDJSON records, with the end record of the
// envelope mode.
func ExampleNDJSON_seq() {
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/rows", func(c context.Context, ctx *app.RequestContext) {
			s, err := streamhertz.NDJSON(c, ctx, &ndjson.Options{Envelope: true})
			if err != nil {
				return
			}
			defer s.Close()
			ndjson.Seq(s, slices.Values([]int{1, 2}))
		})
	})
	defer stop()
	fetch(base + "/rows")
	// Output:
	// 200 application/x-ndjson
	// {"result":1}
	// {"result":2}
	// {"end":true}
}

func ExampleHubTopic() {
	hb := hub.New(nil)
	defer hb.Close()
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/topics/:topic", streamhertz.HubTopic(hb, "topic", nil))
	})
	defer stop()
	first, _ := hb.Publish(context.Background(), "news", hub.Message{Data: "first"})
	hb.Publish(context.Background(), "news", hub.Message{Data: "second"}) //nolint:errcheck

	// Resume after the first event: the history replays the second, and
	// the client reads it and leaves.
	req, _ := http.NewRequest(http.MethodGet, base+"/topics/news", nil)
	req.Header.Set("Last-Event-ID", first)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, err := sse.NewReader(resp.Body, nil).Next()
	resp.Body.Close()
	fmt.Println(resp.StatusCode, ev.Data, err)

	fetch(base + "/topics/not%20a%20topic")
	// Output:
	// 200 second <nil>
	// 400 text/plain; charset=utf-8
	// hub: invalid topic name: use 1 to 64 ASCII letters, digits, '.', '_' or '-'
}

func ExampleChunked() {
	base, stop := serve(func(h *server.Hertz) {
		h.GET("/export.csv", func(c context.Context, ctx *app.RequestContext) {
			s, err := streamhertz.Chunked(c, ctx, &chunked.Options{ContentType: "text/csv"})
			if err != nil {
				return
			}
			defer s.Close()
			ctx.Response.Header.Set("Content-Disposition", `attachment; filename="export.csv"`)
			chunked.Copy(s, strings.NewReader("id,name\n1,ada\n2,grace\n"), nil) //nolint:errcheck
		})
	})
	defer stop()
	fetch(base + "/export.csv")
	// Output:
	// 200 text/csv
	// id,name
	// 1,ada
	// 2,grace
}

// Upload needs a server built with server.WithStreamBody(true), and for
// multipart forms server.WithDisablePreParseMultipartForm(true); the
// standard transport keeps large uploads in constant memory.
func ExampleUpload() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	h := server.New(
		server.WithListener(ln),
		server.WithTransport(standard.NewTransporter),
		server.WithStreamBody(true),
		server.WithDisablePreParseMultipartForm(true),
		server.WithDisablePrintRoute(true),
	)
	h.POST("/upload", func(c context.Context, ctx *app.RequestContext) {
		u, err := streamhertz.Upload(ctx, &upload.Options{MaxBytes: 1 << 20})
		if err != nil {
			return // answered: 413 or 400 with the reason
		}
		sum := sha256.New()
		n, err := io.Copy(sum, u)
		if err != nil {
			ctx.SetConnectionClose() // the rest of the body is unread
			ctx.String(upload.Status(err), "%v\n", err)
			return
		}
		ctx.String(http.StatusOK, "%d bytes, sha256 %x\n", n, sum.Sum(nil)[:4])
	})
	go h.Run() //nolint:errcheck
	for !h.IsRunning() {
		time.Sleep(time.Millisecond)
	}
	defer h.Shutdown(context.Background()) //nolint:errcheck

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, body := range []string{"hello, upload", strings.Repeat("x", 2<<20)} {
		resp, err := client.Post("http://"+ln.Addr().String()+"/upload", "application/octet-stream", strings.NewReader(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Print(resp.StatusCode, " ", string(b))
	}
	// Output:
	// 200 13 bytes, sha256 69082e51
	// 413 upload: too large: Content-Length 2097152 is over the limit of 1048576 bytes
}

// Refuse an upload announced with "Expect: 100-continue" before the client
// sends its body: hertz answers that header itself, before any handler.
func ExampleContinueLimit() {
	const maxUpload = 1 << 30
	// On a server: h.ContinueHandler = streamhertz.ContinueLimit(maxUpload)
	ok := streamhertz.ContinueLimit(maxUpload)
	var hdr protocol.RequestHeader
	hdr.SetContentLength(2 << 30)
	fmt.Println(ok(&hdr))
	hdr.SetContentLength(1 << 20)
	fmt.Println(ok(&hdr))
	// Output:
	// false
	// true
}
