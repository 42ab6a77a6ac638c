#!/usr/bin/env bash
# check-imports.sh: import rules the linter's depguard (direct imports only) cannot
# express; make verify runs it.
#   - Only hoist's command links internal/startup (and the template fast path and
#     huge-page advice that come with it): the controller and every other program keep
#     Go's start-up defaults.
#   - pkg/kube, which the controller will use, links no flag code (pflag, cli-runtime).
#   - The render side links no Kubernetes, kustomize, OCI or Git client, however
#     indirectly (depguard in .golangci.yml checks its direct imports).
set -euo pipefail
cd "$(dirname "$0")/.."
mod=github.com/hoist-dev/hoist
status=0
# Who imports them directly (test files aside: test binaries are never hoist's command).
while read -r pkg imports; do
	for imp in $imports; do
		case "$imp:$pkg" in
		"$mod/internal/startup:$mod/cmd/hoist" | "$mod/internal/startup:$mod/internal/fastpath") ;;
		"$mod/internal/fastpath:$mod/cmd/hoist" | "$mod/internal/startup/thp:$mod/cmd/hoist") ;;
		"$mod/internal/startup:"* | "$mod/internal/fastpath:"* | "$mod/internal/startup/thp:"*)
			echo "check-imports: $pkg imports $imp (only cmd/hoist may)"
			status=1
			;;
		esac
	done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
# And no other program links them, however indirectly.
for main in $(go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./...); do
	[ "$main" = "$mod/cmd/hoist" ] && continue
	if go list -deps "$main" | grep -qx -e "$mod/internal/startup" -e "$mod/internal/startup/thp" -e "$mod/internal/fastpath"; then
		echo "check-imports: $main links internal/startup (only cmd/hoist may)"
		status=1
	fi
done
render=(./pkg/chart/... ./pkg/values/... ./pkg/engine/... ./pkg/render/... ./pkg/cli/chartcmd/... ./internal/fastpath/...)
if deps=$(go list -deps "${render[@]}" | grep -E '^(k8s\.io/|sigs\.k8s\.io/kustomize|oras\.land/|github\.com/go-git/)'); then
	echo "check-imports: the render side links:"
	echo "$deps"
	status=1
fi
if deps=$(go list -deps ./pkg/kube | grep -E 'spf13/pflag|k8s.io/cli-runtime'); then
	echo "check-imports: pkg/kube links flag code: $deps"
	status=1
fi
[ "$status" = 0 ] && echo "check-imports: only cmd/hoist links internal/startup; pkg/kube links no pflag or cli-runtime; the render side no k8s.io, kustomize, oras or go-git"
exit "$status"
