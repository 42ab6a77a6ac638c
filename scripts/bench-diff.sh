#!/usr/bin/env bash
# bench-diff.sh: how long `hoist diff upgrade` and `hoist upgrade --dry-run=server` take
# on ../shared/bench/big-chart (500 ConfigMaps, 20 Deployments, 20 Services) on the
# local cluster: the median of 5 runs each, for a changed upgrade (--set rev=2, which
# changes every object) and for an upgrade that changes nothing. Target: under 2 s.
#
#   scripts/bench-diff.sh            (needs a running environment: make cluster-up)
set -euo pipefail
cd "$(dirname "$0")/.."
chart=${BIG_CHART:-../shared/bench/big-chart}
[ -d "$chart" ] || { echo "bench-diff: no chart at $chart (it lives in ../shared/bench)"; exit 0; }
make -s build >/dev/null
hoist=$PWD/bin/hoist
state=${HOIST_TESTENV:-${HOIST_TESTENV_DIR:-$PWD/.testenv}/env.json}
[ -f "$state" ] || { echo "bench-diff: no running environment ($state); run make cluster-up"; exit 1; }
export KUBECONFIG=$(dirname "$state")/admin.kubeconfig
ns=bench-diff-$(date +%s)
runs=${RUNS:-5}
"$hoist" install big "$chart" -n "$ns" --create-namespace >/dev/null

# median CMD...: runs CMD $runs times (exit status 0 or 2 accepted), prints the median seconds.
median() {
	local times=() start end rc
	for _ in $(seq "$runs"); do
		start=$(date +%s%N)
		rc=0
		"$@" >/dev/null 2>/tmp/bench-diff.err || rc=$?
		end=$(date +%s%N)
		if [ "$rc" != 0 ] && [ "$rc" != 2 ]; then echo "bench-diff: $* failed:" >&2; tail -n 20 /tmp/bench-diff.err >&2; exit 1; fi
		times+=("$(awk -v n=$((end - start)) 'BEGIN { printf "%.3f", n / 1e9 }')")
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

printf '%-44s %9s\n' "command (big-chart, median of $runs)" "seconds"
printf '%-44s %9s\n' "diff upgrade --set rev=2 (every object)" "$(median "$hoist" diff upgrade big "$chart" -n "$ns" --set rev=2 --exit-code)"
printf '%-44s %9s\n' "upgrade --dry-run=server --set rev=2" "$(median "$hoist" upgrade big "$chart" -n "$ns" --set rev=2 --dry-run=server)"
printf '%-44s %9s\n' "diff upgrade (no change)" "$(median "$hoist" diff upgrade big "$chart" -n "$ns" --exit-code)"
printf '%-44s %9s\n' "upgrade --dry-run=server (no change)" "$(median "$hoist" upgrade big "$chart" -n "$ns" --dry-run=server)"
"$hoist" uninstall big -n "$ns" >/dev/null
echo "target: diff upgrade under 2 s"
