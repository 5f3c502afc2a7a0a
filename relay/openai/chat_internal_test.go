package openai

import (
	"bytes"
	"strings"
	"testing"
)

// TestHasChoices puts "choices" at every offset of texts longer than the
// search window, across the windows' edges, and agrees with bytes.Contains.
func TestHasChoices(t *testing.T) {
	for n := range 200 {
		for _, name := range []string{`"choices"`, `"choice"`, `choices"`} {
			d := []byte(strings.Repeat(`"`, n) + name + strings.Repeat(`x"`, 40))
			if got, want := hasChoices(d), bytes.Contains(d, choicesName); got != want {
				t.Fatalf("offset %d, %s: hasChoices = %v, want %v", n, name, got, want)
			}
		}
	}
}
