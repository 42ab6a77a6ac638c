#!/usr/bin/env bash
# demo.sh (make demo): starts the local environment (left running; `make cluster-down`
# stops it), then shows hoist's release workflow against it, printing each command so
# you can repeat it: package the example chart, push it to the local OCI registry,
# install it from there, show the diff of an upgrade before making it, upgrade with a
# visible rolling update, show the history, the drift check and the diff of a rollback,
# roll back.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${HOIST_TESTENV_DIR:-$PWD/.testenv}
bold=$(tput bold 2>/dev/null || true) reset=$(tput sgr0 2>/dev/null || true)
run() { printf '\n%s$ %s%s\n' "$bold" "$*" "$reset"; "$@"; }

if [ -f "$dir/env.json" ] && bin/testenv status --dir "$dir" >/dev/null 2>&1 && bin/testenv ping --dir "$dir" 2>/dev/null; then
	echo "== local environment already running (state in $dir)"
else
	echo "== starting the local environment (state in $dir)"
	bin/testenv down --dir "$dir" >/dev/null 2>&1 || true
	bin/testenv up --dir "$dir" >/dev/null
fi
eval "$(bin/testenv status --dir "$dir" 2>/dev/null)"
echo "   Kubernetes:   $KUBECONFIG"
echo "   OCI registry: $HOIST_REGISTRY (plain HTTP)"
export KUBECONFIG
ns=hoist-demo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PATH=$PWD/bin:$PATH

# Start from a clean slate when the demo runs again.
hoist uninstall hello -n "$ns" >/dev/null 2>&1 || true

run hoist version
run hoist package charts/examples/hello -d "$work"
run hoist push "$work/hello-0.1.0.tgz" "oci://$HOIST_REGISTRY/charts" --plain-http
run hoist install hello "oci://$HOIST_REGISTRY/charts/hello" --version 0.1.0 --plain-http \
	-n "$ns" --create-namespace --wait
run hoist diff upgrade hello "oci://$HOIST_REGISTRY/charts/hello" --version 0.1.0 --plain-http \
	-n "$ns" --set message="Hello again" --set replicaCount=3
run hoist upgrade hello "oci://$HOIST_REGISTRY/charts/hello" --version 0.1.0 --plain-http \
	-n "$ns" --set message="Hello again" --set replicaCount=3 --wait
run hoist history hello -n "$ns"
run hoist status hello -n "$ns" --drift
run hoist diff rollback hello 1 -n "$ns"
run hoist rollback hello 1 -n "$ns" --wait
run hoist history hello -n "$ns"
run hoist list -n "$ns"

cat <<EOT

The environment keeps running. Point your shell at it with:
  eval "\$(bin/testenv status --dir $dir)"
then use bin/hoist as above. Stop it with: make cluster-down
EOT
