package streamotel_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/internal/obstest"
	streamotel "github.com/streamkit/streamkit/metrics/otel"
	"github.com/streamkit/streamkit/sse"
)

var allReasons = []core.EndReason{core.EndClosed, core.EndClientGone, core.EndWriteTimeout,
	core.EndSlowClient, core.EndShutdown, core.EndLifetime, core.EndError}

// A scripted session against a real server: the metric reader shows
// exactly what it did, and there is one span per stream with its end.
func TestScriptedSession(t *testing.T) {
	s := newSDK(t)
	ob := s.observer(t, nil)
	_, e := obstest.Run(t, &core.Registry{Observer: ob}, nil)
	ms := s.collect(t)

	for _, kind := range []string{"sse", "ndjson", "chunked"} {
		k := streamotel.KindKey.String(kind)
		expectPoint(t, ms, "streamkit.streams.opened", float64(e.Opened[kind]), k)
		expectPoint(t, ms, "streamkit.streams.active", 0, k)
		expectPoint(t, ms, "streamkit.stream.sent.events", float64(e.Events[kind]), k)
		expectPoint(t, ms, "streamkit.stream.sent.bytes", float64(e.Bytes[kind]), k)
		expectPoint(t, ms, "streamkit.stream.duration", float64(e.Opened[kind]), k)
		expectPoint(t, ms, "streamkit.stream.time_to_first_event", float64(e.FirstEvents[kind]), k)
		for _, r := range allReasons {
			expectPoint(t, ms, "streamkit.streams.ended", float64(e.Ended[kind][r]), k,
				streamotel.EndReasonKey.String(string(r)))
		}
	}
	expectPoint(t, ms, "streamkit.hub.published", float64(e.Published))
	expectPoint(t, ms, "streamkit.hub.subscribers", 0)
	expectPoint(t, ms, "streamkit.hub.dropped", float64(e.Dropped))
	expectPoint(t, ms, "streamkit.hub.slow_disconnects", float64(e.SlowDisconnects))
	for r, n := range e.Resyncs {
		expectPoint(t, ms, "streamkit.hub.resyncs", float64(n), streamotel.ResyncReasonKey.String(string(r)))
	}
	if m, ok := ms["streamkit.stream.sent.bytes"]; !ok || m.Unit != "By" {
		t.Errorf("bytes unit %q, want By", m.Unit)
	}

	// One span per stream, each with its end.
	spans := s.spans.Ended()
	if int64(len(spans)) != e.Streams() {
		t.Fatalf("%d spans, want one per stream: %d", len(spans), e.Streams())
	}
	got := map[string]map[core.EndReason]int64{}
	var events, bytes, firsts int64
	for _, sp := range spans {
		a := attrs(sp)
		kind := a[streamotel.KindKey].AsString()
		if sp.Name() != "stream "+kind || sp.SpanKind() != trace.SpanKindInternal {
			t.Errorf("span %q of kind %v, want \"stream %s\", internal", sp.Name(), sp.SpanKind(), kind)
		}
		if a[streamotel.RouteKey].AsString() == "" {
			t.Errorf("span %q has no http.route", sp.Name())
		}
		if got[kind] == nil {
			got[kind] = map[core.EndReason]int64{}
		}
		got[kind][core.EndReason(a[streamotel.EndReasonKey].AsString())]++
		events += a[streamotel.EventsKey].AsInt64()
		bytes += a[streamotel.BytesKey].AsInt64()
		for _, ev := range sp.Events() {
			if ev.Name == streamotel.FirstEventName {
				firsts++
			}
		}
		if sp.Status().Code == codes.Error {
			t.Errorf("span %q has status Error after an ordinary end", sp.Name())
		}
	}
	for kind, reasons := range e.Ended {
		for r, n := range reasons {
			if got[kind][r] != n {
				t.Errorf("%s spans ending %s: %d, want %d", kind, r, got[kind][r], n)
			}
		}
	}
	if events != e.Stats.Messages || bytes != e.Stats.Bytes {
		t.Errorf("spans sum to %d events, %d bytes; the registry counted %d, %d", events, bytes, e.Stats.Messages, e.Stats.Bytes)
	}
	var wantFirsts int64
	for _, n := range e.FirstEvents {
		wantFirsts += n
	}
	if firsts != wantFirsts {
		t.Errorf("%d first-event span events, want %d", firsts, wantFirsts)
	}
}

func attrs(sp sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	out := map[attribute.Key]attribute.Value{}
	for _, kv := range sp.Attributes() {
		out[kv.Key] = kv.Value
	}
	return out
}

// The stream's span is a child of the request's span, and separate from
// it: the request span ends when the handler returns, the stream's when
// the stream ends.
func TestSpanParent(t *testing.T) {
	s := newSDK(t)
	reg := &core.Registry{Observer: s.observer(t, nil)}
	tracer := s.tp.Tracer("server")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tracer.Start(r.Context(), "GET /events", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		c, _ := core.NewHTTPConn(w, r.WithContext(ctx))
		st, err := sse.NewStream(c, &sse.Options{Registry: reg})
		if err != nil {
			return
		}
		defer st.Close()
		st.Send(&sse.Event{Data: "x"})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	srv.Close()

	spans := s.spans.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the server's and the stream's", len(spans))
	}
	var server, stream sdktrace.ReadOnlySpan
	for _, sp := range spans {
		if sp.SpanKind() == trace.SpanKindServer {
			server = sp
		} else {
			stream = sp
		}
	}
	if server == nil || stream == nil {
		t.Fatalf("spans %v, want a server and a stream span", spans)
	}
	if stream.Parent().SpanID() != server.SpanContext().SpanID() || stream.SpanContext().TraceID() != server.SpanContext().TraceID() {
		t.Error("the stream span is not a child of the request's span")
	}
	if a := attrs(stream); a[streamotel.RouteKey].AsString() != "GET /events" ||
		a[streamotel.EndReasonKey].AsString() != "closed" || a[streamotel.EventsKey].AsInt64() != 1 {
		t.Errorf("stream span attributes %v", stream.Attributes())
	}
}

// A write error is the one end that makes the span's status Error.
func TestErrorStatus(t *testing.T) {
	s := newSDK(t)
	reg := &core.Registry{Observer: s.observer(t, nil)}
	rec := streamtest.NewRecorder()
	st, err := core.New(rec, &core.Options{Registry: reg, Kind: "chunked"})
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("a"))
	rec.FailWrites(fmt.Errorf("connection reset by peer"))
	st.Write([]byte("b"))
	st.Close()
	spans := s.spans.Ended()
	if len(spans) != 1 || spans[0].Status().Code != codes.Error {
		t.Fatalf("spans %v, want one with status Error", spans)
	}
	ms := s.collect(t)
	expectPoint(t, ms, "streamkit.streams.ended", 1,
		streamotel.KindKey.String("chunked"), streamotel.EndReasonKey.String("error"))
}

// Topics are attributes only through the mapping; routes only when asked.
func TestAttributes(t *testing.T) {
	s := newSDK(t)
	ob := s.observer(t, &streamotel.Options{Routes: true, Topic: func(string) string { return "all" }})
	ob.Published("room-1")
	ob.Published("room-2")
	ob.Resynced("room-1", hub.ReasonEvicted)
	ob.BackendDisconnected(fmt.Errorf("reset"))
	ob.BackendReconnected()
	ob.BackendGap("room-2")
	p := ob.StreamOpened(core.StreamInfo{Context: context.Background(), Kind: "sse", Route: "GET /r/{id}"})
	p.Ended(core.StreamEnd{Reason: core.EndClosed})
	ms := s.collect(t)
	all := streamotel.TopicKey.String("all")
	expectPoint(t, ms, "streamkit.hub.published", 2, all)
	expectPoint(t, ms, "streamkit.hub.resyncs", 1, all, streamotel.ResyncReasonKey.String("evicted"))
	expectPoint(t, ms, "streamkit.hub.backend.gaps", 1, all)
	expectPoint(t, ms, "streamkit.hub.backend.disconnects", 1)
	expectPoint(t, ms, "streamkit.hub.backend.reconnects", 1)
	expectPoint(t, ms, "streamkit.streams.opened", 1,
		streamotel.KindKey.String("sse"), streamotel.RouteKey.String("GET /r/{id}"))
}
