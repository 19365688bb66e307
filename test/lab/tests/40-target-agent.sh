#!/bin/bash
# The lioha `target` agent on the real kernel with the lab's 4-LUN/4-ACL/CHAP saveconfig.json:
# start/monitor/stop behave, the resulting configfs tree is recorded for the host's fidelity comparison
# with the emulator, and start/stop are timed against `targetctl restore`/`clear` in the same run.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
IQN=$LAB_IQN
CFG=$LAB_TARGET_CFG
ROUNDS=${LAB_SPEED_ROUNDS:-5}
if ! have_agent target; then skip "target agent" "not built in dist/"; finish; fi
ok "labvg with 4 LUN LVs" lab_vg
ok "LIO modules load" lab_lio_modules
run_agent() { agent target "$1" iqn="$IQN" config="$CFG"; }

lab_target_config
ok "monitor before start = 7" agent_rc_is 7 run_agent monitor
# the start's configfs writes (op and path, no values) for the fidelity check of the emulator's defaults and side effects
ok "start" timed agent_first_start_ms env LIOHA_CONFIGFS_TRACE="$T/trace-agent.txt" bash -c "$(declare -f agent run_agent); LAB_AGENTS=$LAB_AGENTS IQN=$IQN CFG=$CFG run_agent start"
ok "write trace recorded" test -s "$T/trace-agent.txt"
ok "monitor = 0" timed agent_monitor_ms agent_rc_is 0 run_agent monitor
ok "monitor depth 10 = 0" env OCF_CHECK_LEVEL=10 bash -c "$(declare -f agent run_agent agent_rc_is); LAB_AGENTS=$LAB_AGENTS IQN=$IQN CFG=$CFG agent_rc_is 0 run_agent monitor"
lab_lio_tree "$T/tree-agent.txt"
ok "tree recorded" test -s "$T/tree-agent.txt"
ok "start again is a no-op success" run_agent start
ok "stop" timed agent_first_stop_ms run_agent stop
ok "monitor after stop = 7" agent_rc_is 7 run_agent monitor
ok "stop again succeeds" run_agent stop
ok "nothing left after stop" lab_lio_empty
# targetctl on the same config must build the same tree (minus the HBA names it picks)
ok "targetctl restore of the same config" targetctl restore "$CFG"
lab_lio_tree "$T/tree-targetctl.txt"
ok "targetctl clear" targetctl clear
# speed: alternate the two methods so drift in the VM hits both alike
speed_fail=0
for i in $(seq "$ROUNDS"); do
  timed agent_start_ms run_agent start >/dev/null 2>&1 || speed_fail=1
  timed agent_stop_ms run_agent stop >/dev/null 2>&1 || speed_fail=1
  timed targetctl_restore_ms targetctl restore "$CFG" >/dev/null 2>&1 || speed_fail=1
  timed targetctl_clear_ms targetctl clear >/dev/null 2>&1 || speed_fail=1
  timed node_bare_start_ms node -e 0
  timed python3_bare_start_ms python3 -c 0
  timed agent_metadata_ms run_agent meta-data >/dev/null
done
ok "every timed start/stop/restore/clear succeeded" test "$speed_fail" = 0
ok "speed rounds left nothing behind" lab_lio_empty

# speed at scale (issue 17): 32 ramdisk LUNs x 32 CHAP ACLs, every ACL mapping every LUN (1,024 mapped
# LUNs), generated from the same base config; same alternation, fewer rounds (each takes seconds under TCG)
BIG_CFG=/etc/target/big-32x32.json
python3 "$LAB_REPO/test/lab/guest/big-config.py" "$LAB_REPO/test/lab/fixtures/lab-4lun.json" "$BIG_CFG" 32 32
ok "32x32 config accepted by validate-all" agent target validate-all iqn="$IQN" config="$BIG_CFG"
run_big() { agent target "$1" iqn="$IQN" config="$BIG_CFG"; }
big_fail=0
for i in $(seq "${LAB_SPEED_ROUNDS_BIG:-3}"); do
  timed agent_start_32x32_ms run_big start >/dev/null 2>&1 || big_fail=1
  timed agent_monitor_32x32_ms run_big monitor >/dev/null 2>&1 || big_fail=1
  timed agent_stop_32x32_ms run_big stop >/dev/null 2>&1 || big_fail=1
  timed targetctl_restore_32x32_ms targetctl restore "$BIG_CFG" >/dev/null 2>&1 || big_fail=1
  timed targetctl_clear_32x32_ms targetctl clear >/dev/null 2>&1 || big_fail=1
done
ok "every timed 32x32 start/monitor/stop/restore/clear succeeded" test "$big_fail" = 0
ok "32x32 rounds left nothing behind" lab_lio_empty
finish
