#!/usr/bin/env bash
# Runs every fuzz target of the given modules for FUZZTIME each (default 10s),
# each once, in the module that holds it: `go list` names a module's own
# packages and never descends into a nested module. The seed corpora in
# testdata/fuzz also run as ordinary tests in `make unit`.
#
# Go 1.26's fuzzing coordinator can report a bare "context deadline exceeded"
# when -fuzztime runs out while a worker is between inputs (go.dev/issue/75804,
# fixed in Go 1.27). That failure names no input and writes no reproducer, so
# it says nothing about the target: such a run is tried once more, and a
# second one is reported and passed. Any other failure, and every failure that
# writes an input to testdata/fuzz, fails the run.
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
export GOWORK=off
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# deadline_race LOG: the run failed only with the coordinator's deadline error.
deadline_race() {
	grep -q '^    context deadline exceeded$' "$1" &&
		! grep -qE 'Failing input written|^panic:|fuzzing process hung|_test\.go:[0-9]+:' "$1" &&
		[ "$(grep -c -e '^--- FAIL' "$1")" -eq 1 ]
}

fuzz_one() { # dir name
	(cd "$1" && go test -run '^$' -fuzz "^${2}\$" -fuzztime "$fuzztime" .) 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

for m in "$@"; do
	while IFS= read -r dir; do
		while IFS= read -r name; do
			echo "== fuzz ${dir#"$PWD"/} $name ($fuzztime)"
			fuzz_one "$dir" "$name" && continue
			deadline_race "$log" || exit 1
			echo "== fuzz $name: Go's deadline race (go.dev/issue/75804), no input failed; once more"
			fuzz_one "$dir" "$name" && continue
			deadline_race "$log" || exit 1
			echo "== fuzz $name: Go's deadline race again, no input failed; passed"
		done < <(cat "$dir"/*_test.go 2>/dev/null | sed -nE 's/^func (Fuzz[A-Za-z0-9_]+)\(.*/\1/p')
	done < <(cd "$m" && go list -f '{{if .TestGoFiles}}{{.Dir}}{{else if .XTestGoFiles}}{{.Dir}}{{end}}' ./...)
done
