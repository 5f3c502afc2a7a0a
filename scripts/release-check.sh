#!/usr/bin/env bash
# Checks that every public streamkit module can be installed by a user at the
# version in VERSION, the way `go get` would do it from a module proxy:
#
#  1. every nested go.mod requires its streamkit siblings at VERSION;
#  2. a file-system module proxy is built from the working tree (one .info,
#     .mod and .zip per public module, zipped by golang.org/x/mod/zip);
#  3. in a temporary module outside the repository, with an empty module
#     cache and no replace or go.work, `go get` fetches every public module at
#     VERSION and a generated program that uses every public package is built
#     and run; its go.sum must show that each streamkit module came from that
#     proxy at VERSION;
#  4. when an earlier release tag exists, gorelease compares each public
#     module's API with that release and fails on a change the new version
#     number does not allow.
#
# Third-party modules come from this machine's module cache first, then from
# the configured GOPROXY (never `direct`), so a warm machine needs no network.
# Resolution errors are the go command's own messages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export GOTOOLCHAIN=local GOWORK=off
started=$SECONDS

# Tools are pinned by internal/tools/go.mod; `go tool -n` builds them once
# into the build cache and prints the binary's path.
tool() { (cd "$root/internal/tools" && go tool -n "$1"); }
releasetool=$(tool releasetool)
version=$(tr -d '[:space:]' < VERSION)
prev=$("$releasetool" previous -root "$root" -version "$version")
[ -z "$prev" ] || gorelease=$(tool gorelease)

# A disagreement is reported now and fails the check at the end, after the
# go command has shown what a user would see.
versions_ok=true api_ok=true
"$releasetool" check-version -root "$root" || versions_ok=false

tmp=$(mktemp -d "${TMPDIR:-/tmp}/streamkit-release.XXXXXX")
# find and rm do not follow the links into the machine's module cache.
trap 'find "$tmp" -type d ! -perm -u+w -exec chmod u+w {} + 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'echo "release-check: FAILED (the message above says why)" >&2' ERR

"$releasetool" proxy -root "$root" -out "$tmp/proxy" -unlisted
mapfile -t public < <("$releasetool" modules -root "$root" -public | cut -f1,2)

# Third-party checksums: the public modules' own go.sum lines, so that the
# checksum database is consulted only for a module none of them lists.
for entry in "${public[@]}"; do
	sum="$root/${entry%%$'\t'*}/go.sum"
	[ -f "$sum" ] && grep -v '^github.com/streamkit/streamkit[ /]' "$sum" || true
done | sort -u > "$tmp/go.sum"

# One consumer per public module, each getting only that module, as a user
# who wants one framework adapter would: a single `go get` of everything
# would hide a module whose requirement on a sibling cannot be resolved,
# because version selection would pick the sibling's version from the others.
n=0
for entry in "${public[@]}"; do
	n=$((n + 1))
	"$releasetool" consumer -root "$root" -module "${entry#*$'\t'}" -out "$tmp/consumer$n" >/dev/null
	cp "$tmp/go.sum" "$tmp/consumer$n/go.sum"
done

# The consumer's module cache holds no streamkit module: it is a fresh folder
# whose other entries link to this machine's module cache, so that the
# third-party modules need not be extracted again (that took about a minute
# of disk time per run), while every streamkit module is fetched from the
# proxy above and extracted anew.
machine_cache=$(go env GOMODCACHE)
shadow() { # shadow SRC DST SKIP...: DST gets a link to each entry of SRC but the SKIPs
	local src=$1 dst=$2 e n
	shift 2
	mkdir -p "$dst"
	for e in "$src"/* "$src"/.[!.]*; do
		[ -e "$e" ] || continue
		n=${e##*/}
		case " $* " in *" $n "*) continue ;; esac
		ln -s "$e" "$dst/$n"
	done
}
mc=$tmp/modcache
if [ -d "$machine_cache" ]; then
	shadow "$machine_cache" "$mc" cache github.com
	shadow "$machine_cache/github.com" "$mc/github.com" streamkit
	shadow "$machine_cache/cache" "$mc/cache" download
	shadow "$machine_cache/cache/download" "$mc/cache/download" github.com
	shadow "$machine_cache/cache/download/github.com" "$mc/cache/download/github.com" streamkit
fi

# The consumer's environment: only streamkit is exempt from the checksum
# database (it is not published yet); nothing may fall back to `direct`.
upstream=$(go env GOPROXY | tr ',|' '\n\n' | grep -vxE 'direct|off|' | paste -sd, - || true)
export GOPROXY="file://$tmp/proxy,file://$machine_cache/cache/download${upstream:+,$upstream}"
export GOMODCACHE="$mc"
export GONOSUMDB=github.com/streamkit/streamkit GOPRIVATE= GONOPROXY=
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -modcacherw"

n=0
for entry in "${public[@]}"; do
	n=$((n + 1))
	path=${entry#*$'\t'}
	echo "== consumer of $path@$version"
	cd "$tmp/consumer$n"
	go mod init example.com/consumer >/dev/null 2>&1
	go get ${RELEASE_CHECK_GOFLAGS:-} "$path@$version" 2>&1 | { grep -vE '^go: (downloading|added) ' || true; }
	go build -trimpath -o consumer .
	./consumer
	"$releasetool" verify-sums -root "$root" -proxy "$tmp/proxy" -gosum go.sum -module "$path"
done

if [ -z "$prev" ]; then
	echo "release-check: no release tag below $version; API compatibility check skipped (it runs once a release is tagged)"
else
	"$releasetool" proxy -root "$root" -out "$tmp/proxy" -rev "$prev" -version "$prev"
	n=0
	for entry in "${public[@]}"; do
		n=$((n + 1))
		dir=${entry%%$'\t'*}
		gomod=go.mod
		[ "$dir" = . ] || gomod=$dir/go.mod
		if ! git -C "$root" cat-file -e "$prev:$gomod" 2>/dev/null; then
			echo "release-check: $dir is new since $prev; nothing to compare"
			continue
		fi
		path=${entry#*$'\t'}
		echo "== gorelease $path: $prev -> $version"
		# gorelease reads the module as published (the zip in our proxy, as
		# the go command extracts it), outside any repository: inside one it
		# insists on a clean work tree, which a check run while editing lacks.
		src=$(go mod download -json "$path@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		cp -R "$src" "$tmp/api$n" && chmod -R u+w "$tmp/api$n"
		"$releasetool" add-sums -root "$root" -proxy "$tmp/proxy" -dir "$tmp/api$n"
		(cd "$tmp/api$n" && "$gorelease" -base="$prev" -version="$version") | tee "$tmp/api$n.txt"
		# gorelease lets a v0 module break its API in any release; streamkit
		# promises more: a patch release (same major.minor) stays compatible.
		if grep -q '^## incompatible changes' "$tmp/api$n.txt" && [ "${prev%.*}" = "$(v=${version%%-*}; echo "${v%.*}")" ]; then
			echo "release-check: $path has incompatible changes since $prev (above); release them as the next minor version, not $version" >&2
			api_ok=false
		fi
	done
fi
$api_ok || exit 1
if ! $versions_ok; then
	echo "release-check: FAILED: go.mod files disagree with VERSION (see above)" >&2
	exit 1
fi
echo "release-check: $version installs from a module proxy ($((SECONDS - started)) s)"
