#!/usr/bin/env bash
# bench-template.sh: renders the whole conformance corpus with hoist and with helm v4.3.1
# (built by scripts/build-tools.sh helm into the tools cache), in one run, and prints
# total wall time, the ratio, and the peak RSS of both on the largest case. hoist runs
# twice per round, with the huge-page premap (the default) and without it
# (HOIST_NO_PREMAP=1, see internal/startup), so every run shows what the premap gains:
# it trades page faults for zeroing whole 2 MB pages, which pays on a quiet virtual
# machine and can cost on one whose memory bandwidth other processes are using.
#
#   scripts/bench-template.sh [ROUNDS]      (default 3 rounds; needs ../shared/conformance)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CONFORMANCE_DIR:-../shared/conformance}
[ -d "$corpus/cases" ] || { echo "bench-template: no conformance corpus at $corpus (it lives in ../shared)"; exit 0; }
corpus=$(cd "$corpus" && pwd)
rounds=${1:-3}
. scripts/versions.env
tools=${HOIST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hoist/tools}
helm="$tools/helm-$HELM_VERSION/helm"
[ -x "$helm" ] || scripts/build-tools.sh helm
make -s build >/dev/null
hoist=$PWD/bin/hoist
export KUBECONFIG=/dev/null LC_ALL=C
unset HELM_NAMESPACE HOIST_NAMESPACE HOIST_NO_PREMAP 2>/dev/null || true

# run_corpus BIN: renders every case once; prints elapsed nanoseconds.
run_corpus() {
	local bin=$1 start end
	start=$(date +%s%N)
	for dir in "$corpus"/cases/*/; do
		(
			cd "$dir"
			eval "set -- $(head -n1 args)"
			exec "$bin" template "$(head -n1 release)" "$corpus/$(head -n1 chart)" "$@"
		) >/dev/null 2>&1 </dev/null || true
	done
	end=$(date +%s%N)
	echo $((end - start))
}

# run_nopremap: run_corpus of hoist with the premap off.
run_nopremap() { (export HOIST_NO_PREMAP=1; run_corpus "$hoist"); }

h_total=0 x_total=0 n_total=0
for r in $(seq "$rounds"); do
	# Rotate who goes first, so caches favour none.
	case $((r % 3)) in
	1) h=$(run_corpus "$helm"); x=$(run_corpus "$hoist"); n=$(run_nopremap) ;;
	2) x=$(run_corpus "$hoist"); n=$(run_nopremap); h=$(run_corpus "$helm") ;;
	0) n=$(run_nopremap); h=$(run_corpus "$helm"); x=$(run_corpus "$hoist") ;;
	esac
	h_total=$((h_total + h)); x_total=$((x_total + x)); n_total=$((n_total + n))
	awk -v r="$r" -v h="$h" -v x="$x" -v n="$n" 'BEGIN {
		printf "round %d: helm %6.2f s   hoist %6.2f s   hoist without premap %6.2f s\n", r, h / 1e9, x / 1e9, n / 1e9 }'
done
awk -v r="$rounds" -v h="$h_total" -v x="$x_total" -v n="$n_total" 'BEGIN {
	printf "corpus total over %d rounds: helm %.2f s, hoist %.2f s, ratio hoist/helm %.2f (target <= 0.50)\n", r, h / 1e9, x / 1e9, x / h
	printf "huge-page premap: hoist %.2f s with, %.2f s without (HOIST_NO_PREMAP=1), ratio with/without %.2f\n", x / 1e9, n / 1e9, x / n }'

# Peak RSS on the largest case (by expected output size).
largest=$(ls -S "$corpus"/cases/*/expected.yaml | head -n1 | xargs dirname)
peak() {
	local bin=$1
	(cd "$largest" && eval "set -- $(head -n1 args)" &&
		/usr/bin/time -f '%M' "$bin" template "$(head -n1 release)" "$corpus/$(head -n1 chart)" "$@" 2>&1 >/dev/null | tail -n1)
}
printf 'peak RSS on %s: helm %s KiB, hoist %s KiB, hoist without premap %s KiB\n' "$(basename "$largest")" \
	"$(peak "$helm")" "$(peak "$hoist")" "$(export HOIST_NO_PREMAP=1; peak "$hoist")"
