#!/usr/bin/env bash
# Fails when a test package in any of the given modules has no goroutine-leak
# check: internal/leakcheck.Main in the root module, goleak elsewhere.
set -euo pipefail
status=0
for m in "$@"; do
	while IFS= read -r dir; do
		if ! grep -qE 'leakcheck\.Main\(|goleak\.VerifyTestMain\(' "$dir"/*_test.go; then
			echo "leak-lint: $dir has tests but no leak check in a TestMain" >&2
			status=1
		fi
	done < <(find "$m" -name '*_test.go' -not -path '*/node_modules/*' -not -path '*/testdata/*' -printf '%h\n' | sort -u)
done
[ $status -eq 0 ] && echo "leak-lint: every test package checks for leaked goroutines"
exit $status
