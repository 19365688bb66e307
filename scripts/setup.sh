#!/usr/bin/env bash
# Install what building and testing lioha needs on Debian 12 or 13 (idempotent, fast when done).
# Prerequisites: root, and Node.js >= 20 with npm (see README). The Debian packages come from the one list of
# host tools, scripts/host-tools.list (everything the tests, the demo and the benchmarks run).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' \
  || { echo "setup: Node.js >= 20 is required (see README: Prerequisites)" >&2; exit 1; }
# Installing pacemaker/corosync must not leave daemons running (no systemd here anyway).
scripts/host-tools.sh install test demo bench

# npm ci only when the lock file has changed since the last install.
stamp=node_modules/.lioha-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
