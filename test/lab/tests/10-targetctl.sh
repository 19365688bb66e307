#!/bin/bash
# LIO on the real kernel without lioha: targetctl restore of the lab's 4-LUN/4-ACL/CHAP config, save, clear.
# Proves the reference config, records the real tree and the targetctl timings the agent is compared with.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
CFG="$LAB_REPO/test/lab/fixtures/lab-4lun.json"
ok "labvg with 4 LUN LVs on the scratch disk" lab_vg
ok "LIO modules load" lab_lio_modules
mkdir -p /etc/target
ok "targetctl restore" timed targetctl_restore_ms targetctl restore "$CFG"
ok "4 block backstores" test "$(ls -d /sys/kernel/config/target/core/iblock_*/* 2>/dev/null | grep -vc /hba_)" -ge 4
ok "tpg enabled" grep -qx 1 /sys/kernel/config/target/iscsi/iqn.2016-09.com.example:iscsitgt01/tpgt_1/enable
ok "4 ACLs" test "$(ls /sys/kernel/config/target/iscsi/iqn.2016-09.com.example:iscsitgt01/tpgt_1/acls | wc -l)" = 4
ok "portal 127.0.0.1:3260" test -d /sys/kernel/config/target/iscsi/iqn.2016-09.com.example:iscsitgt01/tpgt_1/np/127.0.0.1:3260
lab_lio_tree "$T/tree-targetctl.txt"
ok "targetctl save" targetctl save "$T/saveconfig.json"
ok "saved config names the 4 LV devices" test "$(grep -c '"dev": "/dev/labvg/lun' "$T/saveconfig.json")" = 4
ok "targetctl clear" timed targetctl_clear_ms targetctl clear
ok "nothing left after clear" lab_lio_empty
ok "targetctl restore of the saved config" targetctl restore "$T/saveconfig.json"
ok "targetctl clear again" targetctl clear
for i in 1 2 3; do timed python3_bare_start python3 -c 0; timed node_bare_start node -e 0; done
finish
