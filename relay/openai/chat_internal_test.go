package openai

import (
	"bytes"
	"strings"
	"testing"
)

// TestHasChoices puts "choices" at every offset of texts longer than the
// search window, across the windows' edges, with and without the '[' that
// usually follows it, and agrees with bytes.Contains: on a fresh
// translator, and on one that remembers where an earlier chunk had it.
func TestHasChoices(t *testing.T) {
	var texts [][]byte
	for n := range 200 {
		for _, name := range []string{`"choices"`, `"choice"`, `choices"`, `"choices":[`, `"choices":`, `"choice":[`, `"choices" :[`} {
			for _, tail := range []string{strings.Repeat(`x"`, 40), `[` + strings.Repeat(`x"`, 40), ""} {
				texts = append(texts, []byte(strings.Repeat(`"`, n)+name+tail))
			}
		}
	}
	seen := &chatRelay{}
	for _, d := range texts {
		want := bytes.Contains(d, choicesName)
		if got := (&chatRelay{}).hasChoices(d); got != want {
			t.Fatalf("fresh, %q: hasChoices = %v, want %v", d, got, want)
		}
		if got := seen.hasChoices(d); got != want {
			t.Fatalf("after others, %q: hasChoices = %v, want %v", d, got, want)
		}
		if i := indexChoices(d); (i >= 0) != want || (i >= 0 && !bytes.HasPrefix(d[i:], choicesName)) {
			t.Fatalf("%q: indexChoices = %d", d, i)
		}
	}
}
