#!/usr/bin/env bash
# Prints, or with --create makes, the lock-step release tags: one annotated
# tag per public module at HEAD, named as the go command expects for a
# module in a subfolder (v0.1.0, adapters/streamgin/v0.1.0, ...), all at the
# version in VERSION. It never pushes.
#
#   scripts/tag-release.sh            # print the git commands
#   scripts/tag-release.sh --list     # print the tag names, for git push
#   scripts/tag-release.sh --create   # make the tags (clean tree, checks pass)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOWORK=off
root=$PWD
mode=${1:-}
releasetool=$(cd internal/tools && go tool -n releasetool)
version=$(tr -d '[:space:]' < VERSION)

tags=()
while IFS=$'\t' read -r dir _ _; do
	if [ "$dir" = . ]; then tags+=("$version"); else tags+=("$dir/$version"); fi
done < <("$releasetool" modules -root "$root" -public)

case $mode in
--list)
	printf '%s\n' "${tags[@]}"
	;;
--create)
	"$releasetool" check-version -root "$root"
	if [ -n "$(git status --porcelain)" ]; then
		echo "tag-release: the work tree has uncommitted changes; commit the release first" >&2
		exit 1
	fi
	for t in "${tags[@]}"; do
		if git rev-parse -q --verify "refs/tags/$t" >/dev/null; then
			echo "tag-release: tag $t already exists" >&2
			exit 1
		fi
	done
	for t in "${tags[@]}"; do
		git tag -a "$t" -m "streamkit $version" HEAD
		echo "tagged $t"
	done
	echo "push with: git push origin ${tags[*]}"
	;;
"")
	for t in "${tags[@]}"; do echo "git tag -a $t -m 'streamkit $version' HEAD"; done
	;;
*)
	echo "usage: scripts/tag-release.sh [--list|--create]" >&2
	exit 2
	;;
esac
