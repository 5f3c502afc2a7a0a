package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// browserTarget is the server the page is checked on: the one `make run`
// starts.
const browserTarget = "gin"

// TestBrowser drives the demo page in headless Chromium (browser/test.mjs,
// through playwright-core): the ticker, the chat between two pages, the
// NDJSON panel, the upload's progress bar, and no script errors. It leaves
// a screenshot in artifacts/demo.png at the repository's root; with
// STREAMKIT_UPDATE_DEMO_PNG=1 it also refreshes docs/demo.png, the
// README's picture.
//
// Without node, Chromium or the npm package it is skipped, except under
// CI=true, where it fails.
func TestBrowser(t *testing.T) {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	missing := ""
	node, err := exec.LookPath("node")
	switch {
	case err != nil:
		missing = "node is not installed"
	case !exists(chromium):
		missing = chromium + " is missing"
	case !exists(filepath.Join("browser", "node_modules", "playwright-core")):
		missing = "playwright-core is not installed in examples/e2e/browser"
	}
	if missing != "" {
		msg := missing + ": install with `apt-get install -y chromium nodejs npm` and `(cd examples/e2e/browser && npm ci)`"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	var tg target
	for _, c := range targets {
		if c.name == browserTarget {
			tg = c
		}
	}
	s := startServer(t, tg)

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	artifacts := filepath.Join(root, "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artifacts, "demo.png")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "test.mjs", s.url+"/", shot)
	cmd.Dir = "browser"
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the browser checks failed: %v", err)
	}
	if os.Getenv("STREAMKIT_UPDATE_DEMO_PNG") == "1" {
		png, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		docs := filepath.Join(root, "docs")
		if err := os.MkdirAll(docs, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(docs, "demo.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
