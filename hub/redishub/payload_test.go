package redishub

import (
	"strconv"
	"testing"

	"github.com/streamkit/streamkit/hub"
)

func TestParsePayload(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    hub.Record
		ok      bool
	}{
		{"event", "abc123:42:4:tick{\"n\":1}", hub.Record{Pos: hub.Position{Epoch: "abc123", Offset: 42}, Type: "tick", Data: `{"n":1}`}, true},
		{"no type", "e:1:0:data", hub.Record{Pos: hub.Position{Epoch: "e", Offset: 1}, Data: "data"}, true},
		{"empty", "e:1:0:", hub.Record{Pos: hub.Position{Epoch: "e", Offset: 1}}, true},
		{"colons and lines in data", "e:7:1:ta:b\nc:", hub.Record{Pos: hub.Position{Epoch: "e", Offset: 7}, Type: "t", Data: "a:b\nc:"}, true},
		{"largest offset", "e:18446744073709551615:0:", hub.Record{Pos: hub.Position{Epoch: "e", Offset: 1<<64 - 1}}, true},
		{"no fields", "hello", hub.Record{}, false},
		{"bad epoch", "a-b:1:0:", hub.Record{}, false},
		{"empty epoch", ":1:0:", hub.Record{}, false},
		{"offset zero", "e:0:0:", hub.Record{}, false},
		{"offset overflows", "e:18446744073709551616:0:", hub.Record{}, false},
		{"signed offset", "e:+1:0:", hub.Record{}, false},
		{"no length", "e:1:", hub.Record{}, false},
		{"empty length", "e:1::x", hub.Record{}, false},
		{"signed length", "e:1:-1:x", hub.Record{}, false},
		{"length past the end", "e:1:5:abc", hub.Record{}, false},
		{"huge length", "e:1:99999999999:abc", hub.Record{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parsePayload(tt.payload)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parsePayload(%q) = %+v, %v; want %+v, %v", tt.payload, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// payload builds what appendScript publishes.
func payload(r hub.Record) string {
	return r.Pos.Epoch + ":" + strconv.FormatUint(r.Pos.Offset, 10) + ":" +
		strconv.Itoa(len(r.Type)) + ":" + r.Type + r.Data
}

func FuzzParsePayload(f *testing.F) {
	f.Add("abc", uint64(1), "tick", "data")
	f.Add("e", uint64(1<<64-1), "", "a:b:c")
	f.Add("x", uint64(0), "t:", "\n")
	f.Fuzz(func(t *testing.T, epoch string, off uint64, typ, data string) {
		r := hub.Record{Pos: hub.Position{Epoch: epoch, Offset: off}, Type: typ, Data: data}
		got, ok := parsePayload(payload(r))
		if hub.ValidEpoch(epoch) && off > 0 && len(typ) < 1e9 {
			// A record the backend can store comes back exactly.
			if !ok || got != r {
				t.Fatalf("parsePayload(payload(%+v)) = %+v, %v; want the record back", r, got, ok)
			}
		}
		// A record it would never store (an epoch with a colon, offset 0)
		// may encode to bytes that are a valid payload of another record:
		// that reading is right as long as it is itself a storable record.
		if ok && (!hub.ValidEpoch(got.Pos.Epoch) || got.Pos.Offset == 0) {
			t.Fatalf("parsePayload(payload(%+v)) accepted an unstorable record %+v", r, got)
		}
		// Arbitrary input never panics, and what it accepts is storable.
		if got, ok := parsePayload(data); ok && (!hub.ValidEpoch(got.Pos.Epoch) || got.Pos.Offset == 0) {
			t.Fatalf("parsePayload(%q) accepted an unstorable record %+v", data, got)
		}
	})
}
