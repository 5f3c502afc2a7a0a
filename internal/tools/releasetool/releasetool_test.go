package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeTree creates files (slash paths relative to dir) with the given contents.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeRepo is a small repository, not a git checkout: a root module, a
// nested public module requiring it at v0.0.0 with a local replace, and a
// private examples module requiring both.
func fakeRepo(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"VERSION":      version + "\n",
		"go.mod":       "module example.com/kit\n\ngo 1.26\n",
		"core/core.go": "package core\n\n// Answer is the answer.\nfunc Answer() int { return 42 }\n",
		"adapters/x/go.mod": "module example.com/kit/adapters/x\n\ngo 1.26\n\n" +
			"require example.com/kit v0.0.0 // the root\n\nreplace example.com/kit => ../..\n",
		"adapters/x/x.go": "package x\n\n// T is a type.\ntype T struct{}\n",
		"examples/go.mod": "module example.com/kit/examples\n\ngo 1.26\n\nrequire (\n" +
			"\texample.com/kit v0.0.0\n\texample.com/kit/adapters/x v0.0.0-00010101000000-000000000000\n)\n",
		"node_modules/junk/go.mod": "module junk\n",
	})
	return dir
}

func TestReadVersion(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"v0.1.0\n", true},
		{"v1.2.3", true},
		{"v0.2.0-rc.1", true},
		{"0.1.0", false},
		{"v0.1", false},
		{"v2.0.0", false},
		{"v0.1.0+build", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "VERSION")
			writeTree(t, filepath.Dir(f), map[string]string{"VERSION": tt.in})
			_, err := readVersion(f)
			if (err == nil) != tt.ok {
				t.Errorf("readVersion(%q) error = %v, want ok %v", tt.in, err, tt.ok)
			}
		})
	}
}

func TestPreviousRelease(t *testing.T) {
	tags := []string{"v0.1.0", "v0.1.1", "v0.2.0-rc.1", "v0.10.0", "adapters/x/v0.1.1", "vbad", "v0.3"}
	tests := []struct{ version, want string }{
		{"v0.1.0", ""},
		{"v0.1.1", "v0.1.0"},
		{"v0.2.0", "v0.1.1"},
		{"v0.11.0", "v0.10.0"},
	}
	for _, tt := range tests {
		if got := previousRelease(tags, tt.version); got != tt.want {
			t.Errorf("previousRelease(%v, %s) = %q, want %q", tags, tt.version, got, tt.want)
		}
	}
}

func TestModules(t *testing.T) {
	r, err := loadRepo(fakeRepo(t, "v0.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range r.modules {
		got = append(got, fmt.Sprintf("%s %s %v", m.dir, m.path, m.public))
	}
	want := []string{
		". example.com/kit true",
		"adapters/x example.com/kit/adapters/x true",
		"examples example.com/kit/examples false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("modules:\n got %q\nwant %q", got, want)
	}
}

func TestSetVersion(t *testing.T) {
	dir := fakeRepo(t, "v0.1.0")
	r, err := loadRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.checkVersion(); err == nil || !strings.Contains(err.Error(), "adapters/x/go.mod requires example.com/kit v0.0.0, want v0.1.0") {
		t.Fatalf("checkVersion before set-version = %v, want the disagreement named", err)
	}
	if err := r.setVersion(io.Discard); err != nil {
		t.Fatal(err)
	}
	first := readFile(t, filepath.Join(dir, "adapters/x/go.mod"))
	want := "module example.com/kit/adapters/x\n\ngo 1.26\n\n" +
		"require example.com/kit v0.1.0 // the root\n\nreplace example.com/kit => ../..\n"
	if first != want {
		t.Errorf("adapters/x/go.mod after set-version:\n%s\nwant:\n%s", first, want)
	}
	if ex := readFile(t, filepath.Join(dir, "examples/go.mod")); strings.Count(ex, " v0.1.0") != 2 {
		t.Errorf("examples/go.mod after set-version:\n%s\nwant both requirements at v0.1.0", ex)
	}

	// Idempotent: a second run over a fresh read reports and changes nothing.
	r, err = loadRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := r.setVersion(&out); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 || readFile(t, filepath.Join(dir, "adapters/x/go.mod")) != first {
		t.Errorf("second set-version changed something: %q", out.String())
	}
	if err := r.checkVersion(); err != nil {
		t.Errorf("checkVersion after set-version: %v", err)
	}
}

func TestCheckVersionUnknownSibling(t *testing.T) {
	dir := fakeRepo(t, "v0.1.0")
	writeTree(t, dir, map[string]string{
		"adapters/x/go.mod": "module example.com/kit/adapters/x\n\ngo 1.26\n\nrequire example.com/kit/gone v0.1.0\n",
	})
	r, err := loadRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.checkVersion(); err == nil || !strings.Contains(err.Error(), "example.com/kit/gone, which is no module of this repository") {
		t.Errorf("checkVersion = %v, want the unknown module named", err)
	}
}

func TestProxy(t *testing.T) {
	dir := fakeRepo(t, "v0.1.0")
	r, err := loadRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.setVersion(io.Discard); err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	if err := r.writeProxy(proxy, "v0.1.0", "", true); err != nil {
		t.Fatal(err)
	}
	if err := r.writeProxy(proxy, "v0.0.9", "", false); err != nil {
		t.Fatal(err)
	}

	// The root zip holds its own files under module@version/, not the nested
	// module's, and no private module is published.
	got := zipNames(t, filepath.Join(proxy, "example.com/kit/@v/v0.1.0.zip"))
	want := []string{"example.com/kit@v0.1.0/VERSION", "example.com/kit@v0.1.0/core/core.go", "example.com/kit@v0.1.0/go.mod"}
	if !slices.Equal(got, want) {
		t.Errorf("root zip: got %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(proxy, "example.com/kit/examples")); !os.IsNotExist(err) {
		t.Errorf("the private examples module was published (stat: %v)", err)
	}
	if got := readFile(t, filepath.Join(proxy, "example.com/kit/adapters/x/@v/v0.1.0.mod")); !strings.Contains(got, "require example.com/kit v0.1.0") {
		t.Errorf("adapters/x v0.1.0.mod:\n%s", got)
	}
	if got := readFile(t, filepath.Join(proxy, "example.com/kit/@v/list")); got != "v0.0.9\n" {
		t.Errorf("list = %q, want only the listed version", got)
	}

	// verify-sums accepts the published hashes and rejects any other.
	sumOf := func(path, ver string) string {
		s, err := publishedSum(proxy, path, ver)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	gosum := filepath.Join(t.TempDir(), "go.sum")
	good := fmt.Sprintf("example.com/kit v0.1.0 %s\nexample.com/kit v0.1.0/go.mod %s\nexample.com/kit/adapters/x v0.1.0 %s\nother.org/m v1.0.0 h1:whatever=\n",
		sumOf("example.com/kit", "v0.1.0"), sumOf("example.com/kit", "v0.1.0/go.mod"), sumOf("example.com/kit/adapters/x", "v0.1.0"))
	writeTree(t, filepath.Dir(gosum), map[string]string{"go.sum": good})
	if err := r.verifySums(proxy, gosum, "v0.1.0", ""); err != nil {
		t.Errorf("verifySums of the published hashes: %v", err)
	}
	writeTree(t, filepath.Dir(gosum), map[string]string{"go.sum": strings.Replace(good, sumOf("example.com/kit", "v0.1.0"), "h1:AAAA=", 1)})
	if err := r.verifySums(proxy, gosum, "v0.1.0", ""); err == nil || !strings.Contains(err.Error(), "the proxy's is") {
		t.Errorf("verifySums of a foreign hash = %v, want a mismatch", err)
	}
}

func zipNames(t *testing.T, file string) []string {
	t.Helper()
	z, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return names
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
