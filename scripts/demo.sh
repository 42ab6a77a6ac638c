#!/usr/bin/env bash
# demo.sh: starts the local environment (left running; `make cluster-down` stops it) and
# shows hoist and the environment working: the control plane rolls out a Deployment on
# kwok nodes, both OCI registries take a push, the Git server serves a clone.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${HOIST_TESTENV_DIR:-$PWD/.testenv}

echo "== hoist"
bin/hoist version

echo
echo "== local environment (state in $dir)"
if [ -f "$dir/env.json" ] && bin/testenv status --dir "$dir" >/dev/null 2>&1 && \
   curl -fsk --max-time 2 "$(sed -n 's/.*"apiServer": "\(.*\)".*/\1/p' "$dir/env.json")/livez" >/dev/null 2>&1; then
	echo "already running"
else
	bin/testenv down --dir "$dir" >/dev/null 2>&1 || true
	bin/testenv up --dir "$dir" | tee "$dir.exports"
fi
export HOIST_TESTENV="$dir/env.json"
export KUBECONFIG="$dir/admin.kubeconfig"

echo
echo "== smoke test against it: Deployment rollout, OCI push/pull (plain + TLS/auth), Git clone"
go test -count=1 -run 'TestE2ESmoke' -v ./pkg/testenv 2>&1 | grep -E '^(=== RUN|--- |    --- |ok|FAIL|PASS)'

echo
bin/testenv status --dir "$dir"
echo
echo "The environment keeps running. Point your shell at it with the export lines above;"
echo "stop it with: make cluster-down"
