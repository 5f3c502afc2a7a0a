#!/usr/bin/env bash
# Runs every fuzz target of the given modules for FUZZTIME each (default 10s),
# each once, in the module that holds it: `go list` names a module's own
# packages and never descends into a nested module. The seed corpora in
# testdata/fuzz also run as ordinary tests in `make unit`.
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
export GOWORK=off
for m in "$@"; do
	while IFS= read -r dir; do
		while IFS= read -r name; do
			echo "== fuzz ${dir#"$PWD"/} $name ($fuzztime)"
			(cd "$dir" && go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" .)
		done < <(cat "$dir"/*_test.go 2>/dev/null | sed -nE 's/^func (Fuzz[A-Za-z0-9_]+)\(.*/\1/p')
	done < <(cd "$m" && go list -f '{{if .TestGoFiles}}{{.Dir}}{{else if .XTestGoFiles}}{{.Dir}}{{end}}' ./...)
done
