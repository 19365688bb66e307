#!/bin/bash
# Data path through the real initiator: open-iscsi (iscsid started by hand) logs in to the target, writes
# and reads back blocks; the right CHAP secret logs in, a wrong one is refused.
# The target is built by the lioha `target` agent when it is built, else by targetctl (proves the lab alone).
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/iscsi.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
CFG="$LAB_REPO/test/lab/fixtures/lab-4lun.json"
IQN=iqn.2016-09.com.example:iscsitgt01
ok "labvg with 4 LUN LVs" lab_vg
ok "LIO modules load" lab_lio_modules
if have_agent target; then
  echo "target built by: lioha target agent" | tee "$T/builder"
  lab_target_config; CFG=$LAB_TARGET_CFG
  ok "target agent start" timed target_start_ms agent target start iqn="$IQN" config="$CFG"
else
  echo "target built by: targetctl (no target agent in dist/)" | tee "$T/builder"
  ok "targetctl restore" targetctl restore "$CFG"
fi
ok "iscsid started by hand" lab_iscsid
ok "discovery finds the target" timed discovery_ms lab_discover "$IQN"
# wrong secret first: must be refused and leave no session
lab_node_chap "$IQN" user0 wrong-secret
fails "login with a wrong CHAP secret is refused" lab_login "$IQN"
ok "no session after the refused login" lab_no_session
lab_node_chap "$IQN" user0 labsecret0pw
ok "login with the right CHAP secret" timed login_ms lab_login "$IQN"
ok "4 LUNs appear as SCSI disks" lab_wait_disks 4
dev=$(lab_disk_for_lun 0)
ok "LUN 0 is a block device ($dev)" test -b "$dev"
head -c 4M /dev/urandom > /tmp/pattern
ok "write 4 MiB with O_DIRECT" dd if=/tmp/pattern of="$dev" bs=64k oflag=direct conv=fsync status=none
ok "read back equals what was written" cmp <(dd if="$dev" bs=64k count=64 iflag=direct status=none) /tmp/pattern
ok "the data reached the backing LV" cmp <(dd if=/dev/labvg/lun0 bs=64k count=64 iflag=direct status=none) /tmp/pattern
ok "logout" timed logout_ms iscsiadm -m node -T "$IQN" -p 127.0.0.1:3260 --logout
if have_agent target; then
  ok "target agent stop" timed target_stop_ms agent target stop iqn="$IQN" config="$CFG"
  ok "nothing left after stop" lab_lio_empty
fi
finish
