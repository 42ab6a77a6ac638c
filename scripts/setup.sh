#!/usr/bin/env bash
# setup.sh: installs the Debian packages the local environment runs (docker-registry for
# the OCI registries, git for the Git server and its http-backend). Uses sudo when not root.
set -euo pipefail
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v git >/dev/null || need+=(git)
[ -x /usr/lib/git-core/git-http-backend ] || need+=(git)
[ ${#need[@]} -gt 0 ] || exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
