#!/bin/bash
# ddmap with backend=era on the real kernel: the agent creates dm-era devices over LVs of a VG on DRBD, LIO
# exports them (the target agent, udev_path=/dev/mapper/era-<vg>-<lv>), an open-iscsi initiator writes at
# random offsets, and each clean stop dumps exactly the written 16 KiB segments. The era metadata LV lives in
# the VG and moves with it through a switch of DRBD primaries; the seed's state machine holds for clean and
# unclean stops; the agent refuses to remove an era device LIO still holds.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/drbd.sh"
. "$LAB_REPO/test/lab/guest/iscsi.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
. "$LAB_REPO/test/lab/guest/era.sh"
if ! have_agent ddmap || ! have_agent target; then skip "ddmap era" "agents not built in dist/"; finish; fi
VG=havg
SD=/mnt/iscsi-target
META=$SD/$VG
ERA=era-$VG-lun0
IQN=$LAB_IQN
CFG=/etc/target/era.json
LIOHA="$LAB_REPO/dist/bin/lioha"
ok "dm-era module loads" modprobe dm-era
ok "era_invalidate installed (thin-provisioning-tools)" command -v era_invalidate
ok "labvg with DRBD backing LVs" lab_vg
ok "DRBD pair connected and in sync" lab_drbd_up
ok "VG $VG on drbd0 with meta (ext4 state dir) and lun0" bash -c "pvcreate -q -y /dev/drbd0 && vgcreate -q $VG /dev/drbd0 && lvcreate -q -y -Wn -Zn -L 16M -n meta $VG && lvcreate -q -y -Wn -Zn -L 32M -n lun0 $VG && vgmknodes $VG"
ok "state dir mounted from the VG" bash -c "mkfs.ext4 -q /dev/$VG/meta && mkdir -p $META && mount /dev/$VG/meta $META"
ok "LIO modules load" lab_lio_modules
# The lab's 4-LUN config with LUN 0's backstore on the era device (what an admin writes for backend=era).
# Attributes the kernel derives from the device's queue limits were saved for the bare LV; dm-era has its own
# (optimal_sectors above the era device's limits is refused with EINVAL), so they are left to the kernel.
mkdir -p /etc/target
python3 - "$LAB_REPO/test/lab/fixtures/lab-4lun.json" "$CFG" "/dev/mapper/$ERA" <<'P'
import json, sys
d = json.load(open(sys.argv[1]))
for so in d["storage_objects"]:
    if so["name"] == "lun0":
        so["dev"] = sys.argv[3]
        for a in ("optimal_sectors", "max_unmap_lba_count", "max_unmap_block_desc_count", "unmap_granularity",
                  "unmap_granularity_alignment", "max_write_same_len", "hw_max_sectors"):
            so["attributes"].pop(a, None)
for t in d["targets"]:
    t.pop("parameters", None)
json.dump(d, open(sys.argv[2], "w"), indent=2)
P
chmod 600 $CFG
dd_agent() { agent ddmap "$1" vgname=$VG backend=era lvs=lun0 state_dir=$SD; }
tgt() { agent target "$1" iqn="$IQN" config="$CFG"; }
state_of() { cat "$META/ddmap/lun0.state" 2>/dev/null; }
dumps() { ls "$META"/ddmap/lun0.*.ddmapdump 2>/dev/null; }
login() { lab_node_chap "$IQN" user0 labsecret0pw && lab_login "$IQN" >/dev/null && lab_wait_disks 4; }
# the initiator lets go, then the target stops: LIO closes the era device
release() { iscsiadm -m node -T "$IQN" -p 127.0.0.1:3260 --logout >/dev/null && tgt stop; }
# writes NAME COUNT SEED [DEV]: random writes, their segments in /tmp/NAME
writes() { lab_random_writes "${4:-$dev}" 32 "$2" "$3" > "/tmp/$1" || return 1; echo "$1 touches $(wc -l < "/tmp/$1") segments"; [ -s "/tmp/$1" ]; }
# a start killed after creating the devices, before its run marker: monitor must say 1, stop must converge
killed_start() {
  dd_agent start >/dev/null && rm -f /run/lioha/ddmap/*.json || return 1
  dd_agent monitor; [ $? = 1 ] || return 1
  dd_agent stop && ! dmsetup info $ERA >/dev/null 2>&1
}
# bits_equal DUMP EXPECTED_FILE: the dump's set bits are exactly the expected segments
bits_equal() { lab_dump_bits "$1" > /tmp/got; echo "dump: $(wc -l < /tmp/got) segments, expected $(wc -l < "$2")"; diff <(sort -n /tmp/got) <(sort -n "$2") >/dev/null; }

# --- side A (r0 Primary) ------------------------------------------------------------------------
ok "ddmap monitor before start = 7" agent_rc_is 7 dd_agent monitor
ok "ddmap start creates the era layer" timed era_start_ms dd_agent start
ok "era device $ERA exists, 16 KiB blocks over lun0" bash -c "dmsetup table $ERA | tee /dev/stderr | grep -q ' era .* 32\$'"
ok "era metadata LV lun0_eramd created in $VG" lvs $VG/lun0_eramd
ok "new volume: DIRTY (full read first)" bash -c "grep -q DDMAP_DIRTY $META/ddmap/lun0.state"
ok "ddmap monitor = 0" agent_rc_is 0 dd_agent monitor
ok "target start on the era device" timed target_start_ms tgt start
ok "LIO's backstore points at the era device" bash -c "grep -rqx /dev/mapper/$ERA /sys/kernel/config/target/core/*/lun0/udev_path"
ok "ddmap stop while LIO holds the device is refused (1)" agent_rc_is 1 dd_agent stop
ok "... the device is still there and nothing was dumped" bash -c "dmsetup info $ERA >/dev/null && [ -z \"\$(ls $META/ddmap/*.ddmapdump 2>/dev/null)\" ]"
ok "vg deactivation is refused while the era device holds lun0" bash -c "! vgchange -q -an $VG 2>/dev/null"
ok "a full backup ran: lioha ddmap state set ACTIVE" "$LIOHA" ddmap state --state-dir $SD set $VG lun0 ACTIVE
ok "iscsid started by hand" lab_iscsid
ok "discovery finds the target" lab_discover "$IQN"
ok "login" login
dev=$(lab_disk_for_lun 0)
ok "LUN 0 is a disk ($dev)" test -b "$dev"
ok "200 random O_DIRECT writes from the initiator (W1)" writes w1 200 1
ok "logout, target stop (LIO releases the era device)" release
ok "ddmap stop: saves the map and removes the era device" timed era_stop_ms dd_agent stop
ok "era device removed" bash -c "! dmsetup info $ERA >/dev/null 2>&1"
ok "ACTIVE -> CLEAN" bash -c "grep -q DDMAP_CLEAN $META/ddmap/lun0.state"
ok "one dump" test "$(dumps | wc -l)" = 1
ok "the dump's set bits are exactly the 16 KiB segments W1 wrote" bits_equal "$(dumps | tail -1)" /tmp/w1
era_a=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["era"])' $META/ddmap/lun0.era)
echo "era mark after side A: $era_a"
ok "ddmap monitor after stop = 7" agent_rc_is 7 dd_agent monitor

# --- switch: the VG (with lun0_eramd) moves to the r1 side --------------------------------------
sync
ok "unmount, deactivate $VG on the r0 side" bash -c "umount $META && vgchange -q -an $VG"
ok "switch: r0 Secondary, r1 Primary" bash -c "drbdadm secondary r0 && drbdadm primary r1"
ok "activate $VG through drbd1, mount the state dir" bash -c "vgchange -q -ay $VG && vgmknodes $VG && mount /dev/$VG/meta $META"
ok "the VG now sits on drbd1" bash -c "pvs --noheadings -o pv_name,vg_name | grep -q '/dev/drbd1 *$VG'"

# --- side B (r1 Primary) ------------------------------------------------------------------------
ok "ddmap start on the new side" dd_agent start
ok "CLEAN -> ACTIVE (the era history went on: metadata moved with the VG)" bash -c "grep -q DDMAP_ACTIVE $META/ddmap/lun0.state"
era_b=$(dmsetup status $ERA | awk '{print $6}')
ok "the era device continues the era count ($era_b > $era_a): metadata survived deactivate/activate" test "$era_b" -gt "$era_a"
ok "target start" tgt start
ok "login" login
dev=$(lab_disk_for_lun 0)
ok "150 random O_DIRECT writes from the initiator (W2)" writes w2 150 2
ok "logout, target stop" release
ok "ddmap stop" dd_agent stop
ok "ACTIVE -> CLEAN" bash -c "grep -q DDMAP_CLEAN $META/ddmap/lun0.state"
ok "two dumps" test "$(dumps | wc -l)" = 2
ok "the second dump is exactly W2 (nothing of W1)" bits_equal "$(dumps | tail -1)" /tmp/w2
ok "lioha ddmap merge of both dumps" "$LIOHA" ddmap merge -t /tmp/merged $(dumps)
sort -nu /tmp/w1 /tmp/w2 > /tmp/w12
ok "the merged map is exactly W1 | W2" bits_equal /tmp/merged /tmp/w12

# --- unclean stop: the node dies with ddmap running --------------------------------------------
ok "ddmap start (CLEAN -> ACTIVE)" dd_agent start
ok "state ACTIVE" bash -c "grep -q DDMAP_ACTIVE $META/ddmap/lun0.state"
ok "writes straight to the era device" writes w3 20 3 /dev/mapper/$ERA
# what a crash leaves: no /run (marker), no device-mapper table; the VG's disks keep the era metadata
ok "the node 'dies': era device and run marker gone without a stop" bash -c "dmsetup remove $ERA && rm -f /run/lioha/ddmap/*.json"
ok "monitor after the crash = 7 (nothing running here)" agent_rc_is 7 dd_agent monitor
ok "start after the unclean stop" dd_agent start
ok "ACTIVE found at start -> DIRTY (the next backup reads everything)" bash -c "grep -q DDMAP_DIRTY $META/ddmap/lun0.state"
ok "lun0.log records the unclean start" bash -c "tail -1 $META/ddmap/lun0.log | grep -q 'start DDMAP_ACTIVE -> DDMAP_DIRTY'"
ok "a clean stop after it" dd_agent stop
ok "DIRTY stays DIRTY on stop" bash -c "grep -q DDMAP_DIRTY $META/ddmap/lun0.state"
ok "a killed start (era device left, no marker): monitor says 1, stop converges" killed_start
for f in lun0.log lun0.era; do echo "--- $f"; cat "$META/ddmap/$f"; done
cp -a "$META/ddmap" "$T/ddmap-store"
finish
