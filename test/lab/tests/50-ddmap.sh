#!/bin/bash
# ddmap across a DRBD switch: the stock kernel has no IET, so the agent reads a fixture change-map source
# (prepared on the host, see 50-ddmap.prepare.ts) under LIOHA_ROOT, while its state directory is a real
# ext4 on a metadata LV in a VG on DRBD. Dumps and states written before the switch of primaries must be
# found, byte for byte, through the other DRBD side after it, and the state machine must carry on there.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/drbd.sh"
if ! have_agent ddmap; then skip "ddmap agent" "not built in dist/"; finish; fi
VG=havg
ROOT=/ddroot
META=$ROOT/mnt/iscsi-target/$VG
mkdir -p $ROOT && cp -a "$T/prepared/." $ROOT/
ok "fixture IET source in place" test -f $ROOT/proc/net/iet/volume
ok "labvg with DRBD backing LVs" lab_vg
ok "DRBD pair connected and in sync" timed drbd_initial_sync_ms lab_drbd_up
ok "VG $VG on drbd0 with meta, lun0, lun1" bash -c "pvcreate -q -y /dev/drbd0 && vgcreate -q $VG /dev/drbd0 && lvcreate -q -y -Wn -Zn -L 16M -n meta $VG && lvcreate -q -y -Wn -Zn -L 8M -n lun0 $VG && lvcreate -q -y -Wn -Zn -L 8M -n lun1 $VG && vgmknodes $VG"
ok "ext4 on the metadata LV, mounted as the state dir" bash -c "mkfs.ext4 -q /dev/$VG/meta && mkdir -p $META && mount /dev/$VG/meta $META"
dd_agent() { LIOHA_ROOT=$ROOT agent ddmap "$1" vgname=$VG; }
state_of() { cat "$META/ddmap/$1.state" 2>/dev/null; }
ok "monitor before start = 7" agent_rc_is 7 dd_agent monitor
ok "start" timed ddmap_start_ms dd_agent start
ok "monitor = 0" agent_rc_is 0 dd_agent monitor
ok "first start: UNKNOWN -> DIRTY (no backup yet)" bash -c "grep -q DDMAP_DIRTY $META/ddmap/lun0.state"
# a backup tool that read everything marks the LUNs ACTIVE; the stop must then take them to CLEAN
ok "lioha ddmap state set ACTIVE (backup done)" bash -c "$LAB_REPO/dist/bin/lioha ddmap state --state-dir $ROOT/mnt/iscsi-target set $VG lun0 ACTIVE && $LAB_REPO/dist/bin/lioha ddmap state --state-dir $ROOT/mnt/iscsi-target set $VG lun1 ACTIVE"
ok "stop saves the maps" timed ddmap_stop_ms dd_agent stop
ok "monitor after stop = 7" agent_rc_is 7 dd_agent monitor
ok "stop: ACTIVE -> CLEAN" bash -c "grep -q DDMAP_CLEAN $META/ddmap/lun0.state && grep -q DDMAP_CLEAN $META/ddmap/lun1.state"
ok "one dump per LUN on the metadata LV" test "$(ls $META/ddmap/*.ddmapdump | wc -l)" = 2
(cd $META/ddmap && sha256sum *.ddmapdump *.state) > /tmp/before.sums
cat /tmp/before.sums; for l in lun0 lun1; do echo "$l: $(state_of $l)"; done
sync
ok "unmount and deactivate on the r0 side" bash -c "umount $META && vgchange -q -an $VG"
ok "switch: r0 Secondary, r1 Primary" bash -c "drbdadm secondary r0 && drbdadm primary r1"
ok "activate $VG through drbd1 and mount the state dir" bash -c "vgchange -q -ay $VG && vgmknodes $VG && mount /dev/$VG/meta $META"
ok "the VG now sits on drbd1" bash -c "pvs --noheadings -o pv_name,vg_name | grep -q '/dev/drbd1 *$VG'"
ok "dumps and states written before the switch are found after it, byte for byte" bash -c "cd $META/ddmap && sha256sum -c --quiet /tmp/before.sums"
ok "start on the new Primary side" dd_agent start
ok "states CLEAN -> ACTIVE after the start" bash -c "grep -q DDMAP_ACTIVE $META/ddmap/lun0.state && grep -q DDMAP_ACTIVE $META/ddmap/lun1.state"
ok "stop on the new side adds a second dump per LUN" bash -c "$(declare -f agent dd_agent); LAB_AGENTS=$LAB_AGENTS ROOT=$ROOT VG=$VG dd_agent stop && test \$(ls $META/ddmap/*.ddmapdump | wc -l) = 4"
ok "lioha ddmap merge ORs lun0's two dumps (from both sides) into one map" bash -c "$LAB_REPO/dist/bin/lioha ddmap merge -t /tmp/lun0.merged $META/ddmap/lun0.*.ddmapdump"
ok "the merged map shows the fixture's writes" bash -c "$LAB_REPO/dist/bin/lioha ddmap show -a /tmp/lun0.merged | grep -q 'segments: 512 of 16384 bytes, 6 written'"
for l in lun0 lun1; do echo "$l: $(state_of $l)"; tail -3 "$META/ddmap/$l.log" 2>/dev/null; done
finish
