#!/bin/bash
# Where the target agent's start and stop spend their time on the real kernel (a benchmark, run by
# bench/target-lab-profile.sh, not by default): V8 CPU profiles of agent start/stop (--cpu-prof) next
# to targetctl restore/clear and the bare interpreters, interleaved in one VM run. The host reads the
# profiles (bench/target-lab-profile.ts) and prints a split by phase.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
IQN=$LAB_IQN
CFG=$LAB_TARGET_CFG
ROUNDS=${LAB_PROFILE_ROUNDS:-3}
if ! have_agent target; then skip "target agent" "not built in dist/"; finish; fi
ok "labvg with 4 LUN LVs" lab_vg
ok "LIO modules load" lab_lio_modules
lab_target_config
run_agent() { agent target "$1" iqn="$IQN" config="$CFG"; }
# node running the agent's launcher file as JavaScript, as the launcher's exec does, with a profile
profiled() { # <dir> <action>
  local envs=(OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=lab-target OCF_RESKEY_CRM_meta_timeout=120000 OCF_RESKEY_iqn="$IQN" OCF_RESKEY_config="$CFG")
  env "${envs[@]}" node --cpu-prof --cpu-prof-dir="$1" --cpu-prof-interval 500 "$LAB_AGENTS/target" "$2"
}
ok "warm-up start" run_agent start
ok "warm-up stop" run_agent stop
# The same configfs operations from sh (bench/target-ops-replay.ts): for stop about the kernel share
tsx=$LAB_REPO/node_modules/.bin/tsx
ok "sh script of the start's operations" bash -c "'$tsx' '$LAB_REPO/bench/target-ops-replay.ts' start '$CFG' '$IQN' > /tmp/floor-start.sh"
ok "the sh start script builds the target" env P=/tmp/floor-progress sh /tmp/floor-start.sh
ok "sh script of the stop's operations" bash -c "'$tsx' '$LAB_REPO/bench/target-ops-replay.ts' stop '$CFG' '$IQN' > /tmp/floor-stop.sh"
ok "the agent's monitor accepts what the script built" agent_rc_is 0 run_agent monitor
ok "the sh stop script removes it" env P=/tmp/floor-progress sh /tmp/floor-stop.sh
ok "nothing left after the sh stop script" lab_lio_empty
# The kernel's share alone: the same operations applied in process, only they timed (the replay prints the metric)
kernel_ops() { "$tsx" "$LAB_REPO/bench/target-ops-replay.ts" "$1" "$CFG" "$IQN" --apply | tee -a "$T/metrics.txt" | grep -q "^$1_kernel_ms [0-9]"; }
fail=0
for i in $(seq "$ROUNDS"); do
  timed node_bare_ms node -e 0
  timed python3_bare_ms python3 -c 0
  timed agent_start_ms run_agent start >/dev/null 2>&1 || fail=1
  timed agent_stop_ms run_agent stop >/dev/null 2>&1 || fail=1
  timed agent_start_profiled_ms profiled "$T/prof-start-$i" start >/dev/null 2>&1 || fail=1
  timed agent_stop_profiled_ms profiled "$T/prof-stop-$i" stop >/dev/null 2>&1 || fail=1
  timed ops_sh_start_ms env P=/tmp/floor-progress sh /tmp/floor-start.sh >/dev/null 2>&1 || fail=1
  timed ops_sh_stop_ms env P=/tmp/floor-progress sh /tmp/floor-stop.sh >/dev/null 2>&1 || fail=1
  kernel_ops start || fail=1
  kernel_ops stop || fail=1
  timed targetctl_restore_ms targetctl restore "$CFG" >/dev/null 2>&1 || fail=1
  timed targetctl_clear_ms targetctl clear >/dev/null 2>&1 || fail=1
  timed python3_import_rtslib_ms python3 -c 'import rtslib_fb'
  timed node_jitless_bare_ms node --jitless -e 0
done
ok "every profiled round succeeded" test "$fail" = 0
# Phase times from the agent's own debug records (wall clock, ms), after the launch time taken here
for i in $(seq "$ROUNDS"); do
  echo "launch $(date +%s%3N)" >> "$T/phases-start-$i.txt"
  HA_DEBUGLOG="$T/phases-start-$i.txt" LIOHA_LOG_LEVEL=debug run_agent start >/dev/null 2>&1 || fail=1
  echo "exit $(date +%s%3N)" >> "$T/phases-start-$i.txt"
  echo "launch $(date +%s%3N)" >> "$T/phases-stop-$i.txt"
  HA_DEBUGLOG="$T/phases-stop-$i.txt" LIOHA_LOG_LEVEL=debug run_agent stop >/dev/null 2>&1 || fail=1
  echo "exit $(date +%s%3N)" >> "$T/phases-stop-$i.txt"
done
ok "every phase-timed round succeeded" test "$fail" = 0
ok "nothing left behind" lab_lio_empty
finish
