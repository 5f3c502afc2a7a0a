// Package e2e runs every example server as a separate process and checks
// the demo-app contract (DESIGN.md, "The demo app") against each with real
// HTTP clients, pairs of servers of different frameworks sharing one Redis
// (-redis) or one NATS server (-nats), and the demo page in a headless
// browser.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// binDir holds the example servers, built once by TestMain.
var binDir string

// programs are the example servers' main packages, relative to the
// examples module; each builds to a binary of the same name.
var programs = []string{"nethttp", "gin", "echo", "echov5", "hertz"}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "streamkit-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	if err := build(dir); err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

// build compiles every example server into dir with one go command, which
// builds them in parallel and shares the work on common packages.
func build(dir string) error {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, p := range programs {
		args = append(args, "./"+p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = ".." // the examples module
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the example servers: %v\n%s", err, out)
	}
	return nil
}
