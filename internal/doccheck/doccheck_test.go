package doccheck_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/internal/doccheck"
	"github.com/streamkit/streamkit/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestRepositoryMarkdown checks every Markdown file git tracks.
func TestRepositoryMarkdown(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "*.md").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a git checkout)", err)
	}
	files := strings.Fields(string(out))
	if len(files) == 0 {
		t.Fatal("no Markdown files found")
	}
	for _, f := range files {
		if strings.Contains(f, "node_modules/") || strings.HasPrefix(f, "docs/drafts/") {
			continue
		}
		probs, err := doccheck.Check(root, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, not yet in the index
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		for _, p := range probs {
			t.Error(p)
		}
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Get started", "get-started"},
		{"The core engine (core)", "the-core-engine-core"},
		{"Scaling out: the Redis backend (hub/redishub)", "scaling-out-the-redis-backend-hubredishub"},
		{"memory vs Redis vs NATS: when to pick which", "memory-vs-redis-vs-nats-when-to-pick-which"},
		{"net/http, gin & echo", "nethttp-gin--echo"},
	}
	for _, tt := range tests {
		if got := doccheck.Slug(tt.in); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckFindsProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("x/example_test.go", "package x\n\nfunc Example() {\n\ta := 1\n\t_ = a\n}\n")
	write("other.md", "# Other\n\n## Part two\n")
	write("README.md", strings.Join([]string{
		"# Title",
		"## Install",
		"## Install", // a second one is install-1
		"[ok](#install) [ok too](#install-1) [bad](#frameworks) `[not a link](#nope)`",
		"[file](other.md#part-two) [missing file](nope.md) [bad anchor](other.md#nope) [web](https://example.com/#x)",
		"<!-- snippet: x/example_test.go -->",
		"```go",
		"a := 1",
		"",
		"_ = a",
		"```",
		"<!-- snippet: x/example_test.go -->",
		"```go",
		"b := 2",
		"```",
		"```sh",
		"[in a fence](#ignored)",
		"```",
	}, "\n"))
	probs, err := doccheck.Check(dir, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	want := []string{
		"README.md:4: link to #frameworks: no such heading",
		"README.md:5: link to nope.md: stat " + filepath.Join(dir, "nope.md") + ": no such file or directory",
		"README.md:5: link to other.md#nope: no heading #nope there",
		"README.md:12: snippet is not in x/example_test.go as written (edit the file's example and copy it here)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
