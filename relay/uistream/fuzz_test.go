package uistream_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/streamkit/streamkit/relay/uistream"
)

// FuzzParsePart: decoding never panics, and a decoded part of a type this
// package writes encodes to JSON that decodes to the same fields.
func FuzzParsePart(f *testing.F) {
	f.Add(`{"type":"text-delta","id":"text-1","delta":"hi \u00e9"}`)
	f.Add(`{"type":"start","messageId":"m"}`)
	f.Add(`{"type":"finish","finishReason":"stop"}`)
	f.Add(`{"type":"error","errorText":"boom"}`)
	f.Add(`{"type":"tool-input-start","toolCallId":"t","toolName":"n"}`)
	f.Fuzz(func(t *testing.T, data string) {
		p, err := uistream.ParsePart(data)
		if err != nil {
			return
		}
		p.Raw = nil
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("encoding %+v: %v", p, err)
		}
		p2, err := uistream.ParsePart(string(b))
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		p2.Raw = nil
		want := uistream.Part{Type: p.Type}
		switch p.Type {
		case uistream.TypeTextStart, uistream.TypeTextEnd, uistream.TypeReasoningStart, uistream.TypeReasoningEnd:
			want.ID = p.ID
		case uistream.TypeTextDelta, uistream.TypeReasoningDelta:
			want.ID, want.Delta = p.ID, p.Delta
		case uistream.TypeStart:
			want.MessageID = p.MessageID
		case uistream.TypeFinish:
			want.FinishReason = p.FinishReason
		case uistream.TypeError:
			want.ErrorText = p.ErrorText
		}
		if !reflect.DeepEqual(p2, want) {
			t.Fatalf("round trip of %q gave %+v, want %+v", data, p2, want)
		}
	})
}
