package hub_test

import (
	"strings"
	"testing"

	"github.com/streamkit/streamkit/hub"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want hub.Position
		ok   bool
	}{
		{"simple", "abc-1", hub.Position{Epoch: "abc", Offset: 1}, true},
		{"zero offset", "abc-0", hub.Position{Epoch: "abc", Offset: 0}, true},
		{"mixed case epoch", "AbC9-42", hub.Position{Epoch: "AbC9", Offset: 42}, true},
		{"max offset", "e-18446744073709551615", hub.Position{Epoch: "e", Offset: 1<<64 - 1}, true},
		{"longest epoch", strings.Repeat("a", 32) + "-7", hub.Position{Epoch: strings.Repeat("a", 32), Offset: 7}, true},
		{"empty", "", hub.Position{}, false},
		{"no dash", "abc", hub.Position{}, false},
		{"no epoch", "-1", hub.Position{}, false},
		{"no offset", "abc-", hub.Position{}, false},
		{"two dashes", "a-b-1", hub.Position{}, false},
		{"leading zero", "abc-01", hub.Position{}, false},
		{"overflow", "e-18446744073709551616", hub.Position{}, false},
		{"21 digits", "e-100000000000000000000", hub.Position{}, false},
		{"epoch too long", strings.Repeat("a", 33) + "-7", hub.Position{}, false},
		{"sign", "abc-+1", hub.Position{}, false},
		{"space", "abc- 1", hub.Position{}, false},
		{"unicode epoch", "é-1", hub.Position{}, false},
		{"integer only", "42", hub.Position{}, false},
		{"huge", strings.Repeat("9", 10000), hub.Position{}, false},
		{"newline", "abc-1\n", hub.Position{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := hub.ParseID(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseID(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"abc-1", "a-0", "-", "x-18446744073709551615", "e-01", "ab-c-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := hub.ParseID(s)
		if !ok {
			return
		}
		if !hub.ValidEpoch(p.Epoch) {
			t.Fatalf("ParseID(%q) accepted epoch %q", s, p.Epoch)
		}
		if got := p.String(); got != s {
			t.Fatalf("ParseID(%q).String() = %q; want the input back", s, got)
		}
	})
}

func TestPositionString(t *testing.T) {
	tests := []struct {
		name string
		pos  hub.Position
		want string
	}{
		{"offset", hub.Position{Epoch: "k3x9", Offset: 41}, "k3x9-41"},
		{"zero offset", hub.Position{Epoch: "k3x9"}, "k3x9-0"},
		{"zero", hub.Position{}, "-0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pos.String(); got != tt.want {
				t.Errorf("String() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestNewEpoch(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		e := hub.NewEpoch()
		if !hub.ValidEpoch(e) || len(e) != 13 {
			t.Fatalf("NewEpoch() = %q; want 13 letters and digits", e)
		}
		if seen[e] {
			t.Fatalf("NewEpoch() repeated %q", e)
		}
		seen[e] = true
	}
}

func TestValidTopic(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"simple", "chat", true},
		{"all classes", "Room_1.a-b", true},
		{"64 bytes", strings.Repeat("x", 64), true},
		{"empty", "", false},
		{"65 bytes", strings.Repeat("x", 65), false},
		{"slash", "a/b", false},
		{"space", "a b", false},
		{"colon", "a:b", false},
		{"unicode", "café", false},
		{"newline", "a\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hub.ValidTopic(tt.in); got != tt.want {
				t.Errorf("ValidTopic(%q) = %v; want %v", tt.in, got, tt.want)
			}
		})
	}
}
