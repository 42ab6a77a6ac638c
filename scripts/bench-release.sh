#!/usr/bin/env bash
# bench-release.sh: hoist against helm v4.3.1 and helm v3.22.0 (built by
# scripts/build-tools.sh helm helm3) on the same local cluster, in one run, with ../shared/bench/big-chart (500 ConfigMaps, 20
# Deployments, 20 Services). Each tool works in its own namespace. Prints the time of:
# install; no-op upgrade; changed upgrade; changed upgrade --wait; rollback --wait;
# plus stored bytes of one revision record and peak RSS, and the ratios hoist/helm.
#
#   scripts/bench-release.sh            (needs a running environment: make cluster-up)
set -euo pipefail
cd "$(dirname "$0")/.."
chart=${BIG_CHART:-../shared/bench/big-chart}
[ -d "$chart" ] || { echo "bench-release: no chart at $chart (it lives in ../shared/bench)"; exit 0; }
. scripts/versions.env
tools=${HOIST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hoist/tools}
helm="$tools/helm-$HELM_VERSION/helm"
helm3="$tools/helm3-$HELM3_VERSION/helm"
[ -x "$helm" ] || scripts/build-tools.sh helm
[ -x "$helm3" ] || scripts/build-tools.sh helm3
make -s build bin/testenv >/dev/null
hoist=$PWD/bin/hoist
state=${HOIST_TESTENV:-${HOIST_TESTENV_DIR:-$PWD/.testenv}/env.json}
[ -f "$state" ] || { echo "bench-release: no running environment ($state); run make cluster-up"; exit 1; }
export KUBECONFIG=$(dirname "$state")/admin.kubeconfig
suffix=$(date +%s)
declare -A T R

# run TOOL STEP ARGS...: times one command; records seconds and peak RSS (KiB).
run() {
	local tool=$1 step=$2; shift 2
	local out rss start end
	start=$(date +%s%N)
	out=$( { /usr/bin/time -f '%M' "$@" >/dev/null 2>/tmp/bench-release.err; } 2>&1 ) || {
		echo "bench-release: $tool $step failed:"; tail -n 20 /tmp/bench-release.err; exit 1; }
	end=$(date +%s%N)
	rss=$(tail -n1 /tmp/bench-release.err)
	T[$tool,$step]=$(awk -v n=$((end - start)) 'BEGIN { printf "%.2f", n / 1e9 }')
	R[$tool,$step]=$rss
}

for tool in helm helm3 hoist; do
	bin=${!tool}
	ns=bench-$tool-$suffix
	name=big
	run "$tool" install "$bin" install "$name" "$chart" -n "$ns" --create-namespace
	run "$tool" noop "$bin" upgrade "$name" "$chart" -n "$ns"
	run "$tool" changed "$bin" upgrade "$name" "$chart" -n "$ns" --set rev=2
	run "$tool" changed-wait "$bin" upgrade "$name" "$chart" -n "$ns" --set rev=3 --wait --timeout 10m
	run "$tool" rollback-wait "$bin" rollback "$name" 2 -n "$ns" --wait --timeout 10m
done

# Stored bytes of one revision: the data of the Secret(s) holding revision 1.
stored() {
	local ns=$1 selector=$2
	bin/testenv secret-bytes --kubeconfig "$KUBECONFIG" -n "$ns" -l "$selector" 2>/dev/null || echo "?"
}
hs=$(stored "bench-helm-$suffix" "owner=helm,name=big,version=1")
xs=$(stored "bench-hoist-$suffix" "owner=hoist,name=big,revision=1")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-16s %9s %9s %9s %10s %10s\n' "step (big-chart)" "helm4 s" "helm3 s" "hoist s" "vs helm4" "vs helm3"
for step in install noop changed changed-wait rollback-wait; do
	printf '%-16s %9s %9s %9s %10s %10s\n' "$step" "${T[helm,$step]}" "${T[helm3,$step]}" "${T[hoist,$step]}" \
		"$(ratio "${T[hoist,$step]}" "${T[helm,$step]}")" "$(ratio "${T[hoist,$step]}" "${T[helm3,$step]}")"
done
peak() { local m=0 v; for s in install noop changed changed-wait rollback-wait; do v=${R[$1,$s]}; [ "$v" -gt "$m" ] && m=$v; done; echo "$m"; }
printf 'peak RSS (KiB): helm4 %s, helm3 %s, hoist %s\n' "$(peak helm)" "$(peak helm3)" "$(peak hoist)"
printf 'stored bytes of revision 1: helm %s, hoist %s\n' "$hs" "$xs"
echo "targets: install <= 0.5x helm v4; no-op upgrade <= 0.2x; changed upgrade --wait and rollback --wait <= 0.5x helm v3; stored bytes <= 0.5x; peak RSS <= helm"
