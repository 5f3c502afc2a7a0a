// Package doccheck keeps the repository's Markdown honest: every in-page
// anchor and relative link resolves, and every Go snippet marked as taken
// from a file appears in that file, which its module's tests compile. Its
// test runs over every tracked Markdown file as part of `make test`.
//
// A snippet is marked by an HTML comment on the line before its fence:
//
//	<!-- snippet: adapters/streamgin/example_test.go -->
//	```go
//	...
//	```
//
// The snippet's lines, with leading tabs and spaces trimmed and blank lines
// ignored, must appear in that order, one after another, in the file.
package doccheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Problem is one thing in a Markdown file that does not resolve.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

var (
	headingRE = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	snippetRE = regexp.MustCompile(`^<!--\s*snippet:\s*(\S+)\s*-->\s*$`)
	fenceRE   = regexp.MustCompile("^(```|~~~)")
	inlineRE  = regexp.MustCompile("`[^`]*`")
)

// Slug returns the anchor GitHub gives a heading's text: lower case,
// punctuation other than hyphens and underscores dropped, spaces made
// hyphens.
func Slug(heading string) string {
	heading = strings.ToLower(heading)
	var b strings.Builder
	for _, r := range heading {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Anchors returns the anchors of a Markdown text's headings, numbered as
// GitHub numbers repeated ones ("x", "x-1", ...).
func Anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if fenceRE.MatchString(strings.TrimSpace(line)) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		m := headingRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		text := strings.NewReplacer("`", "", "*", "").Replace(m[2])
		// A link in a heading counts by its text.
		text = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(text, "$1")
		s := Slug(text)
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// Check checks the Markdown file at path, relative to root, and returns
// what does not resolve.
func Check(root, path string) ([]Problem, error) {
	raw, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		return nil, err
	}
	text := string(raw)
	var probs []Problem
	add := func(line int, format string, args ...any) {
		probs = append(probs, Problem{path, line, fmt.Sprintf(format, args...)})
	}
	anchors := Anchors(text)
	lines := strings.Split(text, "\n")
	dir := filepath.Dir(path)
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := snippetRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			end, msg := checkSnippet(root, m[1], lines, i+1)
			if msg != "" {
				add(i+1, "%s", msg)
			}
			i = end
			continue
		}
		if fenceRE.MatchString(strings.TrimSpace(line)) {
			for i++; i < len(lines) && !fenceRE.MatchString(strings.TrimSpace(lines[i])); i++ {
			}
			continue
		}
		for _, m := range linkRE.FindAllStringSubmatch(inlineRE.ReplaceAllString(line, ""), -1) {
			target := m[1]
			switch {
			case strings.Contains(target, "://"), strings.HasPrefix(target, "mailto:"):
				continue
			case strings.HasPrefix(target, "#"):
				if !anchors[target[1:]] {
					add(i+1, "link to #%s: no such heading", target[1:])
				}
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			full := filepath.Join(root, dir, file)
			st, err := os.Stat(full)
			if err != nil {
				add(i+1, "link to %s: %v", target, err)
				continue
			}
			if frag != "" && !st.IsDir() && strings.HasSuffix(file, ".md") {
				other, err := os.ReadFile(full)
				if err == nil && !Anchors(string(other))[frag] {
					add(i+1, "link to %s: no heading #%s there", target, frag)
				}
			}
		}
	}
	return probs, nil
}

// checkSnippet checks the fenced block that starts at lines[at] against
// the file named; it returns the index of the closing fence and a problem,
// or "".
func checkSnippet(root, file string, lines []string, at int) (int, string) {
	if at >= len(lines) || !fenceRE.MatchString(strings.TrimSpace(lines[at])) {
		return at, fmt.Sprintf("snippet mark for %s is not followed by a code fence", file)
	}
	var code []string
	end := at + 1
	for ; end < len(lines) && !fenceRE.MatchString(strings.TrimSpace(lines[end])); end++ {
		if t := strings.TrimSpace(lines[end]); t != "" {
			code = append(code, t)
		}
	}
	src, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return end, fmt.Sprintf("snippet from %s: %v", file, err)
	}
	var have []string
	for _, l := range strings.Split(string(src), "\n") {
		if t := strings.TrimSpace(l); t != "" {
			have = append(have, t)
		}
	}
	if len(code) == 0 || !containsRun(have, code) {
		return end, fmt.Sprintf("snippet is not in %s as written (edit the file's example and copy it here)", file)
	}
	return end, ""
}

// containsRun reports whether want appears in have as consecutive items.
func containsRun(have, want []string) bool {
	for i := 0; i+len(want) <= len(have); i++ {
		match := true
		for j := range want {
			if have[i+j] != want[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
