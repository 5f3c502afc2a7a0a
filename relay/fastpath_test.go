package relay_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/internal/readtest"
	"github.com/streamkit/streamkit/relay"
	"github.com/streamkit/streamkit/relay/openai"
	"github.com/streamkit/streamkit/sse"
)

// relayWire relays upstream, read n bytes at a time, with the chat
// translator into an sse.Stream, and returns the bytes the client got and
// the relay's error.
func relayWire(t testing.TB, upstream string, n int, opts *relay.Options) (string, string) {
	t.Helper()
	out := streamtest.NewRecorder()
	s, err := sse.NewStream(out, &sse.Options{Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	err = relay.Copy(s.Context(), s, io.NopCloser(readtest.Every([]byte(upstream), n)), openai.Chat(), opts)
	s.Close()
	return out.Body(), fmt.Sprint(err)
}

// hooked are relay options whose hooks see each event without changing
// it: the relay then gives up what the Reader knows about an event, and
// forwards it the general way, searching its data for line breaks.
var hooked = []*relay.Options{
	{Transform: func(*sse.RawEvent) bool { return true }},
	{OnEvent: func(*sse.RawEvent) {}},
}

// chatUpstreams are Chat Completions streams for the differential tests:
// ordinary chunks (with and without the usual shape, so that the chunk
// check's remembered offset misses), CR and CRLF line ends, a BOM,
// multi-line data, invalid UTF-8, comments and other fields, errors,
// truncation.
func chatUpstreams() []string {
	chunk := func(content string) string {
		return `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":` + content + `},"finish_reason":null}]}`
	}
	ups := []string{
		chatStream,
		strings.ReplaceAll(chatStream, "\n", "\r\n"),
		strings.ReplaceAll(chatStream, "\n", "\r"),
		"\uFEFF" + chatStream,
		": PROCESSING\n\ndata: " + chunk(`"a"`) + "\n\ndata: [DONE]\n\n",
		"data:" + chunk(`"no space"`) + "\n\ndata:[DONE]\n\n",
		"data: {\"choices\":\ndata: []}\n\ndata: [DONE]\n\n",
		"data: " + chunk(`"\xff\xe2\x82 bad"`) + "\n\ndata: [DONE]\n\n",
		"data: " + chunk(`"é 世界"`) + "\n\ndata: [DONE]\n\n",
		"id: 1\nevent: message\nretry: 5\ndata: " + chunk(`"x"`) + "\n: c\n\ndata: [DONE]\n\n",
		"event: other\ndata: ignored\n\ndata: " + chunk(`"y"`) + "\n\ndata: [DONE]\n\n",
		"data: " + chunk(`"`+strings.Repeat("long ", 2000)+`"`) + "\n\ndata: [DONE]\n\n",
		"data: {\"model\":\"longer-model-name\",\"choices\":[]}\n\ndata: {\"choices\": []}\n\ndata: [DONE]\n\n",
		"data: " + chunk(`"a"`) + "\n\ndata: {\"error\":{\"message\":\"quota\",\"type\":\"q\"}}\n\n",
		"data: " + chunk(`"a"`) + "\n\ndata: not json\n\n",
		"data: " + chunk(`"a"`) + "\n\n",
		"data: " + chunk(`"a"`) + "\n\ndata: [DONE]",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{
		"data: " + chunk(`"t"`) + "\n", "data:" + chunk(`"u"`) + "\r\n", "data: " + chunk(`"\xc3"`) + "\r",
		"data: {\"x\":1,\"choices\":[]}\n", "data: {}\n", ": ping\n", "id: 2\n", "\n", "\n", "\r\n",
	}
	for range 100 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if rng.IntN(4) > 0 {
			b.WriteString("\ndata: [DONE]\n\n")
		}
		ups = append(ups, b.String())
	}
	return ups
}

// TestChatFastPathDifferential relays each upstream, in reads of many
// sizes, without hooks (events of one data line forwarded without a second
// search for line breaks) and with hooks that change nothing (every event
// searched), and requires the same bytes and the same outcome.
func TestChatFastPathDifferential(t *testing.T) {
	for i, up := range chatUpstreams() {
		for _, n := range []int{1, 2, 3, 5, 8, 13, 64, 200, 4096, len(up) + 1} {
			got, gotErr := relayWire(t, up, n, nil)
			for _, opts := range hooked {
				want, wantErr := relayWire(t, up, n, opts)
				if got != want || gotErr != wantErr {
					t.Fatalf("upstream %d %q, reads of %d:\nwithout hooks %q (%s)\nwith hooks    %q (%s)", i, up, n, got, gotErr, want, wantErr)
				}
			}
		}
	}
}

// FuzzChatFastPath is TestChatFastPathDifferential on fuzzed upstreams
// and read sizes.
func FuzzChatFastPath(f *testing.F) {
	for _, up := range chatUpstreams()[:17] {
		f.Add(up, uint8(0))
		f.Add(up, uint8(3))
	}
	f.Fuzz(func(t *testing.T, up string, size uint8) {
		n := int(size)
		if n == 0 {
			n = len(up) + 1
		}
		got, gotErr := relayWire(t, up, n, nil)
		for _, opts := range hooked {
			want, wantErr := relayWire(t, up, n, opts)
			if got != want || gotErr != wantErr {
				t.Fatalf("reads of %d:\nwithout hooks %q (%s)\nwith hooks    %q (%s)", n, got, gotErr, want, wantErr)
			}
		}
	})
}
