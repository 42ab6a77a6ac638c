#!/usr/bin/env bash
# jsonschema-patches.sh: third_party/jsonschema is upstream santhosh-tekuri/jsonschema at
# the version go.mod requires, without its tests and repository files, plus
# third_party/jsonschema/patches/*.patch in order. This script rebuilds that from the Go
# module cache.
#
#   scripts/jsonschema-patches.sh --check   fail unless the committed tree is exactly that (make verify)
#   scripts/jsonschema-patches.sh --write   rewrite the tree from upstream and the patches
#
# To change the code: edit the tree, then regenerate the patch it belongs to with
#   diff -u --label a/F --label b/F "$(go mod download -json MOD@VER | jq -r .Dir)/F" third_party/jsonschema/F
# (keeping the patch's description above its first ---), and run --check.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in --check | --write) ;; *) echo "usage: $0 --check|--write" >&2; exit 2 ;; esac

module=github.com/santhosh-tekuri/jsonschema/v6
tree=third_party/jsonschema
# The upstream archive's hash, as go.sum would record it: the patches apply to exactly it.
sum='h1:1EYB5IzjZawrrnELUi78f9fPu57HuXjmddZPjrls/28='
version=$(go list -m -f '{{.Version}}' "$module")

json=$(go mod download -json "$module@$version")
dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json")
got=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p' <<<"$json")
[ -n "$dir" ] || { echo "jsonschema-patches: go mod download $module@$version failed:"; echo "$json"; exit 1; } >&2
[ "$got" = "$sum" ] || { echo "jsonschema-patches: $module@$version has sum $got, the patches are for $sum (a new version? update sum and the patches)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Upstream's Go files and metaschemas; not its tests, test data, CI and workspace files.
mkdir "$work/tree"
(cd "$dir" && find . -type f \
	-not -name '*_test.go' -not -path './testdata/*' -not -path './.github/*' \
	-not -name '.gitmodules' -not -name '.golangci.yml' -not -name '.pre-commit-hooks.yaml' \
	-not -name 'README.md' -not -name 'go.sum' -not -name 'go.work' -not -name 'go.work.sum' \
	-exec cp --parents '{}' "$work/tree/" ';')
chmod -R u+w "$work/tree"
for p in "$tree"/patches/*.patch; do
	git -C "$work/tree" apply --whitespace=nowarn "$PWD/$p" 2>&1 || { echo "jsonschema-patches: $p does not apply to $module@$version" >&2; exit 1; }
done

if [ "$mode" = --write ]; then
	find "$tree" -mindepth 1 -maxdepth 1 -not -name HOIST.md -not -name patches -exec rm -rf '{}' +
	cp -R "$work/tree/." "$tree/"
	find "$tree" -type f -exec chmod 0644 '{}' +
	echo "jsonschema-patches: $tree is $module@$version with $(ls "$tree"/patches/*.patch | wc -l) patches"
	exit 0
fi
if ! diff -r -x HOIST.md -x patches "$work/tree" "$tree" >"$work/diff"; then
	echo "jsonschema-patches: $tree is not $module@$version plus $tree/patches (run $0 --write, or update the patches):" >&2
	head -n 40 "$work/diff" >&2
	exit 1
fi
echo "jsonschema-patches: $tree is $module@$version plus $(ls "$tree"/patches/*.patch | wc -l) patches"
