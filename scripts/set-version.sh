#!/usr/bin/env bash
# Rewrites every nested go.mod so that it requires its streamkit siblings at
# the version in VERSION (replace directives stay, for local builds).
# Idempotent: a go.mod already in agreement is not touched.
#
#   echo v0.2.0 > VERSION && scripts/set-version.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOWORK=off
root=$PWD
releasetool=$(cd internal/tools && go tool -n releasetool)
"$releasetool" set-version -root "$root"
"$releasetool" check-version -root "$root"
