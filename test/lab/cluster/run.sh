#!/bin/bash
# npm run test:lab:cluster [-- --full | --crm | --scenarios switchover,poweroff | --topology aa]: the two-node cluster lab
# (--topology aa: two groups on two nodes behind the discovery portal, test/lab/cluster/lab-aa.json).
# Installs the host tools, builds the agents and the guest image (cached), then runs test/lab/cluster/run.ts
# under the lab lock (other lab runs wait; this one boots three VMs).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$LAB_REPO"
t0=$(date +%s)
"$LAB_DIR/host-deps.sh"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run -s build >/dev/null
"$LAB_DIR/build.sh"
rc=0
flock /tmp/lioha-lab.lock npx tsx "$LAB_DIR/cluster/run.ts" "$@" || rc=$?
lab_log "cluster lab done in $(( $(date +%s) - t0 )) s (rc $rc)"
exit $rc
