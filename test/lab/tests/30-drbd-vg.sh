#!/bin/bash
# LVM on DRBD: the `vg` agent (when built) refuses to activate on the Secondary side and activates on the
# Primary; data written through one DRBD side is read through the other after a switch of primaries.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/drbd.sh"
VG=havg
ok "labvg with DRBD backing LVs" lab_vg
ok "two DRBD 8.4 resources connected and in sync" timed drbd_initial_sync_ms lab_drbd_up
cat /proc/drbd
ok "r0 is Primary" test "$(lab_drbd_role 0)" = Primary
ok "PV on /dev/drbd0" pvcreate -q -y /dev/drbd0
ok "VG $VG on DRBD" vgcreate -q $VG /dev/drbd0
ok "LV data" lvcreate -q -y -Wn -Zn -L 16M -n data $VG
vgmknodes $VG >/dev/null
head -c 8M /dev/urandom > /tmp/pattern
ok "write 8 MiB to $VG/data through drbd0" dd if=/tmp/pattern of=/dev/$VG/data bs=1M oflag=direct conv=fsync status=none
ok "deactivate $VG on the r0 side" vgchange -q -an $VG
ok "r0 Secondary" drbdadm secondary r0
ok "r1 Primary" drbdadm primary r1
# the VG is now visible only through /dev/drbd1 (r0 is Secondary and cannot be opened)
ok "vgscan sees $VG on drbd1" bash -c "pvs --noheadings -o pv_name,vg_name | grep -q '/dev/drbd1 *$VG'"
if have_agent vg; then
  ok "vg agent monitor before start = 7" agent_rc_is 7 agent vg monitor vgname=$VG
  ok "vg agent start on the Primary side" timed vg_start_ms agent vg start vgname=$VG
  ok "vg agent monitor = 0" timed vg_monitor_ms agent vg monitor vgname=$VG
else
  skip "vg agent start" "vg agent not built"
  ok "activate $VG by hand" vgchange -q -ay $VG
fi
vgmknodes $VG >/dev/null
ok "data written through drbd0 reads back through drbd1" cmp <(dd if=/dev/$VG/data bs=1M count=8 iflag=direct status=none) /tmp/pattern
if have_agent vg; then
  ok "vg agent stop" timed vg_stop_ms agent vg stop vgname=$VG
  ok "vg agent monitor after stop = 7" agent_rc_is 7 agent vg monitor vgname=$VG
  ok "vg agent stop again succeeds" agent vg stop vgname=$VG
  # Refusal on a Secondary: r1 demoted, so the VG's only PV sits on a DRBD device that is not Primary.
  ok "r1 Secondary" drbdadm secondary r1
  agent vg start vgname=$VG drbd_resource=r1 2> "$T/refusal.err"; echo "refusal rc $?"; cat "$T/refusal.err"
  fails "vg agent start refuses on a Secondary" agent vg start vgname=$VG drbd_resource=r1
  ok "the refusal names the DRBD role" grep -qiE 'secondary|primary' "$T/refusal.err"
  ok "nothing activated after the refusal" bash -c "! ls /dev/mapper | grep -q '^$VG-'"
else
  skip "vg agent refusal on a Secondary" "vg agent not built"
fi
finish
