#!/bin/bash
# libiscsi's iscsi-test-cu against the agent-built target and against a targetctl-built one of the same file,
# in the same VM (issue 16 item 10). Both runs write JUnit-style XML; the host (conformance.lab.ts) asserts
# the verdicts are the same test by test, and that the tests failing on both are exactly the commented list
# of kernel behaviours there. Needs libiscsi-bin in the guest (LAB_PACKAGES) and the agents in dist/.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
IQN=$LAB_IQN
# Two modes. By default (npm run test:lab, CI) the suites whose verdict depends on what the agent configures
# (identity and VPD pages, mode pages, capacity, reservations SPC-2 and SPC-3, unmap/write-same/CAW/xcopy
# emulation flags, supported opcodes), on LUN 0: ~1/4 of the full run's time. The others exercise the kernel's
# data path and PDU handling, the same code whoever configured the target. LAB_CONFORMANCE=full: every test
# (230) on LUN 0 and LUN 1, about 20 min under TCG (docs/lab.md).
SUBSET="Inquiry ModeSense6 ReadCapacity10 ReadCapacity16 ReportSupportedOpcodes TestUnitReady Mandatory
  PrinReadKeys PrinServiceactionRange PrinReportCapabilities ProutRegister ProutReserve ProutClear ProutPreempt Reserve6
  ReadOnly Unmap WriteSame10 WriteSame16 GetLBAStatus CompareAndWrite ExtendedCopy ReceiveCopyResults"
if [ "${LAB_CONFORMANCE:-subset}" = full ]; then MODE=full; LUNS="0 1"; else MODE=subset; LUNS=0; fi
echo "$MODE" > "$T/mode"
if ! command -v iscsi-test-cu >/dev/null; then skip "conformance" "iscsi-test-cu (libiscsi-bin) not in the guest"; finish; fi
if ! have_agent target; then skip "conformance" "target agent not built"; finish; fi
ok "labvg with 4 LUN LVs" lab_vg
ok "LIO modules load" lab_lio_modules
lab_target_config
# CHAP-free ACLs for the suite's two initiator names (the second one drives the multi-initiator reservation
# and task-management tests), so it can log in; the same change for both builds.
CFG=/etc/target/conformance.json
INI=iqn.2016-09.com.example:lab-initiator
INI2=iqn.2016-09.com.example:host2
ok "conformance config (lab file, ACLs lab-initiator and host2 without CHAP)" node -e '
  const fs = require("fs"); const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  for (const a of d.targets[0].tpgs[0].node_acls) if (/:(lab-initiator|host2)$/.test(a.node_wwn)) for (const k of Object.keys(a)) if (k.startsWith("chap_")) delete a[k];
  d.targets[0].tpgs[0].attributes.authentication = 0;
  fs.writeFileSync(process.argv[2], JSON.stringify(d, null, 2), { mode: 0o600 });' "$LAB_TARGET_CFG" "$CFG"
# --dataloss: the LUNs are scratch LVs, so the write, unmap, write-same and compare-and-write tests really run
# (without it they pass as "[SKIPPED]", which would hide a difference).
cu() { # LUN TEST: one iscsi-test-cu run, its CUnit XML appended to $XML
  timeout 1800 iscsi-test-cu --dataloss --initiator-name "$INI" --initiator-name-2 "$INI2" --test "$2" \
    --xml "iscsi://127.0.0.1/$IQN/$1" >> "$LOG" 2>&1
  cat CUnitAutomated-Results.xml >> "$XML" 2>/dev/null; rm -f CUnitAutomated-Results.xml
}
suite() { # NAME: the whole suite (full) or the subset, per LUN; XML in $T/NAME-lunL.xml
  local lun s; for lun in $LUNS; do
    XML="$T/$1-lun$lun.xml" LOG="$T/$1-lun$lun.log"; : > "$XML"; : > "$LOG"
    local t0; t0=$(now_ms)
    if [ "$MODE" = full ]; then cu "$lun" ALL; else for s in $SUBSET; do cu "$lun" "ALL.$s"; done; fi
    metric "suite_$1_lun$lun" $(( $(now_ms) - t0 )) ms
  done
}
# Each build starts from the same state: zeroed LUNs, no APTPL file left by the other build's PR tests.
fresh_state() {
  rm -f /etc/rtslib-fb-target/pr/aptpl_* /var/target/pr/aptpl_* || return 1
  local n; for n in lun0 lun1; do dd if=/dev/zero of=/dev/labvg/$n bs=1M count=32 oflag=direct status=none || return 1; done
}
ok "fresh LUNs and PR state" fresh_state
ok "agent start" agent target start iqn="$IQN" config="$CFG"
( cd "$T" && suite agent )
ok "agent stop" agent target stop iqn="$IQN" config="$CFG"
ok "fresh LUNs and PR state" fresh_state
ok "targetctl restore" targetctl restore "$CFG"
( cd "$T" && suite targetctl )
ok "targetctl clear" targetctl clear
ok "results written" test -s "$T/agent-lun0.xml" -a -s "$T/targetctl-lun0.xml"
finish
