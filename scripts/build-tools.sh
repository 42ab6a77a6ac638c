#!/usr/bin/env bash
# build-tools.sh: builds the local test environment's binaries from Go modules and caches
# them by version outside the repository, so a warm machine skips the build.
#
#   scripts/build-tools.sh [kube|etcd|kwok|helm|helm3|all]   (default: all five; helm v4 and v3 are
#   the interop test oracles: charts, registries, and releases imported from Helm)
#
# Cache: $HOIST_TOOLS_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/hoist/tools/<name>-<version>/
# Each build logs to <cache>/<name>-<version>.log; a failed build names that log and
# leaves no half-built directory behind.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"
cache=${HOIST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hoist/tools}
mkdir -p "$cache"

# build NAME VERSION CMD...: runs CMD with $out set to a temporary directory, then moves
# it into place. Skips when the versioned directory already exists, built the same way:
# its .complete holds $stamp (how it was built, when that changed since; empty before).
stamp=
build() {
	local name=$1 version=$2; shift 2
	local dest="$cache/$name-$version" log="$cache/$name-$version.log"
	if [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$stamp" ]; then
		echo "tools: $name $version cached in $dest"
		return 0
	fi
	echo "tools: building $name $version (log: $log) ..."
	local start=$SECONDS
	out=$(mktemp -d "$cache/.$name-$version.XXXXXX")
	if ! ( "$@" ) >"$log" 2>&1; then
		rm -rf "$out"
		echo "tools: building $name $version failed; last lines of $log:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
	printf '%s' "$stamp" >"$out/.complete"
	rm -rf "$dest"
	mv "$out" "$dest"
	echo "tools: built $name $version in $((SECONDS - start)) s -> $dest"
}

build_kube() {
	cd "$here/tools/kube"
	local ld="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION"
	ld="$ld -X k8s.io/component-base/version.gitMajor=${KUBE_VERSION%%.*}"
	local minor=${KUBE_VERSION#*.}; minor=${minor%%.*}
	ld="$ld -X k8s.io/component-base/version.gitMinor=$minor"
	ld="$ld -X k8s.io/component-base/version.gitTreeState=clean"
	ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION"
	for c in kube-apiserver kube-controller-manager kube-scheduler; do
		go build -trimpath -ldflags "$ld" -o "$out/$c" "k8s.io/kubernetes/cmd/$c"
	done
}

build_etcd() {
	cd "$here/tools/etcd"
	go build -trimpath -ldflags "-s -w" -o "$out/etcd" .
}

build_kwok() {
	GOBIN="$out" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
}

# The helms are built as Helm builds its releases (its Makefile: CGO_ENABLED=0,
# -ldflags "-w -s"), so that the benchmarks compare hoist with the binary people run: a
# build with cgo and symbols starts about 10 % slower and maps more memory.
helm_ldflags="-s -w"
helm_release_build="CGO_ENABLED=0 -trimpath -ldflags=$helm_ldflags"
build_helm() {
	CGO_ENABLED=0 GOBIN="$out" go install -trimpath -ldflags "$helm_ldflags" "helm.sh/helm/v4/cmd/helm@v$HELM_VERSION"
}

# helm3: Helm v3, the reference of some release benchmark targets (bench-release.sh) and
# the maker of the Helm 3 releases `hoist import helm` is tested with.
build_helm3() {
	CGO_ENABLED=0 GOBIN="$out" go install -trimpath -ldflags "$helm_ldflags" "helm.sh/helm/v3/cmd/helm@v$HELM3_VERSION"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(etcd kwok kube helm helm3)
[ "${targets[0]}" != all ] || targets=(etcd kwok kube helm helm3)
for t in "${targets[@]}"; do
	case $t in
	kube) build kube "$KUBE_VERSION" build_kube ;;
	etcd) build etcd "$ETCD_VERSION" build_etcd ;;
	kwok) build kwok "$KWOK_VERSION" build_kwok ;;
	helm) stamp=$helm_release_build build helm "$HELM_VERSION" build_helm ;;
	helm3) stamp=$helm_release_build build helm3 "$HELM3_VERSION" build_helm3 ;;
	*) echo "tools: unknown tool $t (want kube, etcd, kwok, helm, helm3 or all)" >&2; exit 2 ;;
	esac
done
