#!/bin/bash
# The whole real-kernel lab suite in one command (npm run test:lab): installs the host tools, builds the
# agents and the guest (cached), boots one fresh VM per lab test (snapshot image, its own scratch disk),
# then asserts on the collected results from the host (vitest, test/lab/host/*.lab.ts).
# Env: LAB_ONLY="10-targetctl 20-iscsi-datapath" to run a subset; see boot.sh for LAB_ACCEL/LAB_SMP/LAB_MEM.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$LAB_REPO"
t0=$(date +%s)
"$LAB_DIR/host-deps.sh"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
lab_log "building the agents (npm run build)"
npm run -s build >/dev/null
tb=$(date +%s)
"$LAB_DIR/build.sh"
tg=$(date +%s)
# *-overhead tests are benchmarks (figures, no verdict on speed): run by their bench/ script or LAB_ONLY, not by default.
tests=${LAB_ONLY:-$(cd "$LAB_DIR/tests" && ls *.sh | sed 's/\.sh$//' | grep -v -- '-overhead$' | sort)}
run="$LAB_CACHE/results/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
boot_failed=()
for t in $tests; do
  "$LAB_DIR/boot.sh" -o "$run/$t" "$t" || boot_failed+=("$t")
done
ln -sfn "$run" "$LAB_CACHE/results/latest-run"
{
  echo "agents_build_s $((tb - t0))"
  echo "guest_build_s $((tg - tb))"
  echo "vms_s $(( $(date +%s) - tg ))"
} > "$run/host-times.txt"
lab_log "asserting on $run"
rc=0
LAB_RESULTS="$run" npx vitest run --config "$LAB_DIR/vitest.config.ts" || rc=1
((${#boot_failed[@]})) && { lab_log "VM runs that failed: ${boot_failed[*]}"; rc=1; }
lab_log "lab suite done in $(( $(date +%s) - t0 )) s (results: $run)"
exit $rc
