#!/usr/bin/env bash
# Runs every fuzz target of the given modules for FUZZTIME each (default 10s).
# The seed corpora in testdata/fuzz also run as ordinary tests in `make unit`.
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
export GOWORK=off
for m in "$@"; do
	while IFS=: read -r file name; do
		dir=$(dirname "$file")
		echo "== fuzz $dir $name ($fuzztime)"
		(cd "$dir" && go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" .)
	done < <(cd "$m" && grep -rHoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)' . | sed -E 's/func //' | sed -E "s|^\./|$m/|")
done
