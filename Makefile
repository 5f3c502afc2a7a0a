# Every target runs in every module of the repository (each folder holding a
# go.mod), with GOWORK=off so that each is built against its own
# requirements. A module added later is covered without editing this file.

SHELL := /bin/bash
export GOWORK := off
export GOTOOLCHAIN := local

MODULES := $(shell find . -name go.mod -not -path './.git/*' -not -path '*/node_modules/*' -printf '%h\n' | sort)
FUZZTIME ?= 10s
ADDR ?= 127.0.0.1:8080

.PHONY: all test unit fuzz leak-lint release-check vet lint fmt-check bench run work tidy set-version

all: fmt-check vet test

## test: the leak-check lint, the release check, race-enabled tests of every module, then each
## fuzz target briefly; ends with every skipped test and the reason it gave
test: leak-lint release-check unit fuzz
	@if [ -s $(SKIPS) ]; then echo "== skipped tests (each says why; under CI=true a missing tool fails instead)"; cat $(SKIPS); \
	else echo "== no test was skipped"; fi

# Each module's `go test -json` goes through internal/cmd/testreport, which
# prints what plain go test would and collects the skips into $(SKIPS).
SKIPS := $(CURDIR)/.test-skips
REPORT := $(CURDIR)/.cache/testreport

unit:
	@set -eo pipefail; rm -f $(SKIPS); mkdir -p $(dir $(REPORT)); \
	go build -o $(REPORT) ./internal/cmd/testreport; \
	for m in $(MODULES); do \
		echo "== go test $$m"; \
		(cd $$m && go test -race -count=1 -json ./... 2>&1) | $(REPORT) -skips $(SKIPS); \
	done

fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz.sh $(MODULES)

## leak-lint: every test package must check for leaked goroutines
leak-lint:
	@scripts/leak-lint.sh $(MODULES)

## vet: go vet and staticcheck (pinned by internal/tools/go.mod; config in staticcheck.conf) on every module
vet:
	@set -e; for m in $(MODULES); do \
		echo "== go vet $$m"; \
		(cd $$m && go vet ./...); \
	done
	@$(MAKE) --no-print-directory lint

lint:
	@set -e; sc=$$(cd internal/tools && go tool -n staticcheck); \
	for m in $(MODULES); do \
		echo "== staticcheck $$m"; \
		(cd $$m && $$sc ./...); \
	done

## release-check: every public module installs at VERSION from a module proxy built from this tree (scripts/release-check.sh)
release-check:
	@scripts/release-check.sh

## set-version: make every nested go.mod require its streamkit siblings at VERSION
set-version:
	@scripts/set-version.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go') $$(git ls-files --others --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi; echo "gofmt: clean"

## bench: the bench module's run against every peer; regenerates BENCHMARKS.md (about 14 minutes)
bench:
	cd bench && ./run-bench.sh

## run: the demo app on gin (prints the URL to open)
run:
	cd examples && go run ./gin -addr $(ADDR)

## work: a go.work over every module, for editors (git-ignored; the targets above never use it)
work:
	@rm -f go.work go.work.sum
	GOWORK= go work init $(MODULES)
	@echo "wrote go.work"

tidy:
	@set -e; for m in $(MODULES); do (cd $$m && go mod tidy); done
