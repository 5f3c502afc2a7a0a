package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestReport(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"start","Package":"p"}`,
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:9: redis-server is not installed\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"--- SKIP: TestA (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:3: got 1, want 2\n"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"--- FAIL: TestB (0.00s)\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestB"}`,
		`{"Action":"output","Package":"p","Test":"TestC","Output":"    c_test.go:3: quiet on success\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestC"}`,
		`{"Action":"output","Package":"p","Output":"FAIL\n"}`,
		`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"}`,
		`go: a toolchain message`,
	}, "\n")
	var out strings.Builder
	skips, err := report(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	want := "    b_test.go:3: got 1, want 2\n--- FAIL: TestB (0.00s)\nFAIL\nFAIL\tp\t0.01s\ngo: a toolchain message\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if len(skips) != 1 || skips[0] != (skip{"p", "TestA", "a_test.go:9: redis-server is not installed"}) {
		t.Errorf("skips = %+v", skips)
	}
}

// The real toolchain's JSON for a skipped test carries its reason through.
func TestReportOnRealGoTest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module x\n\ngo 1.26\n")
	write("x_test.go", "package x\n\nimport \"testing\"\n\nfunc TestS(t *testing.T) { t.Skip(\"needs a thing\") }\n")
	cmd := exec.Command("go", "test", "-json", ".")
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	js, err := cmd.Output()
	if err != nil {
		t.Fatalf("go test: %v\n%s", err, js)
	}
	var out strings.Builder
	skips, err := report(strings.NewReader(string(js)), &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(skips) != 1 || skips[0].Test != "TestS" || !strings.Contains(skips[0].Reason, "needs a thing") {
		t.Errorf("skips = %+v", skips)
	}
	if !strings.HasPrefix(out.String(), "ok  \tx\t") {
		t.Errorf("output = %q, want the package's ok line", out.String())
	}
}
