#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time: SECONDS each (default 10).
# Targets are found with go test -list, so a new Fuzz function runs without editing
# this file. go test -fuzz takes one target in one package at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
GO=${GO:-go}
failed=()
count=0
start=$SECONDS
# go test -list prints a package's matching names, then "ok <package> <time>".
list=$($GO test -list '^Fuzz' ./...)
names=()
while read -r first second _; do
	case $first in
	Fuzz*) names+=("$first") ;;
	ok)
		for name in "${names[@]}"; do
			count=$((count + 1))
			echo "=== $second $name (${secs}s)"
			if ! $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" "$second" </dev/null; then
				failed+=("$second $name")
			fi
		done
		names=()
		;;
	esac
done <<<"$list"
echo "=== fuzz: $count targets, $((SECONDS - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz failed: %s\n' "${failed[@]}" >&2
	exit 1
fi
