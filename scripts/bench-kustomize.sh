#!/usr/bin/env bash
# bench-kustomize.sh: the overhead of `hoist template --kustomize` with a five-patch
# overlay over plain `hoist template`, on the largest conformance chart (cert-manager
# with its CRDs, as the cert-manager-crds-monitoring case renders it): the median of
# RUNS runs (default 15) of each, alternating. Target: at most 30 % overhead.
#
#   scripts/bench-kustomize.sh            (needs ../shared/conformance)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CONFORMANCE_DIR:-../shared/conformance}
chart=$corpus/charts/cert-manager
[ -d "$chart" ] || { echo "bench-kustomize: no chart at $chart (the corpus lives in ../shared)"; exit 0; }
runs=${RUNS:-15}
make -s build >/dev/null
hoist=$PWD/bin/hoist
overlay=$(mktemp -d)
trap 'rm -rf "$overlay"' EXIT
cat >"$overlay/kustomization.yaml" <<'K'
patches:
- target: {kind: Deployment}
  patch: |-
    - {op: add, path: /spec/template/metadata/annotations, value: {team: platform}}
- target: {kind: Deployment, name: .*-webhook}
  patch: |-
    - {op: replace, path: /spec/replicas, value: 3}
- target: {kind: Service, labelSelector: app.kubernetes.io/component=webhook}
  patch: |-
    apiVersion: v1
    kind: Service
    metadata: {name: any, annotations: {reviewed: "true"}}
- target: {kind: ServiceAccount}
  patch: |-
    - {op: add, path: /automountServiceAccountToken, value: false}
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: cm-cert-manager-cainjector, namespace: cert-manager}
    spec:
      template:
        spec:
          priorityClassName: system-cluster-critical
K
args=(template cm "$chart" --namespace cert-manager --set crds.enabled=true --set replicaCount=2)
"$hoist" "${args[@]}" --kustomize "$overlay" >/dev/null # the overlay applies

declare -a plain kust
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000)); }
for _ in $(seq "$runs"); do
	plain+=("$(ms "$hoist" "${args[@]}")")
	kust+=("$(ms "$hoist" "${args[@]}" --kustomize "$overlay")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
p=$(median "${plain[@]}") k=$(median "${kust[@]}")
printf 'hoist template (cert-manager + CRDs), median of %d:\n' "$runs"
printf '  plain                 %6.1f ms\n' "$(awk -v x="$p" 'BEGIN { print x / 1000 }')"
printf '  --kustomize (5 patches) %4.1f ms\n' "$(awk -v x="$k" 'BEGIN { print x / 1000 }')"
printf '  overhead              %6.1f %%   (target: at most 30 %%)\n' "$(awk -v a="$k" -v b="$p" 'BEGIN { print (a / b - 1) * 100 }')"
