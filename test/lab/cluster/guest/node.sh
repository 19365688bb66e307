# Cluster-lab node helpers (sourced by the host's commands on a node VM). Everything the root image does
# not keep (snapshot=on) is set up again on every boot by node_prepare; the DRBD backing disk /dev/vdb is
# the node's own persistent scratch disk.
export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LAB_CL=$LAB_REPO/test/lab/cluster
# Where a package puts the agents: copied from the share on every boot (read over 9p, each agent process
# paid about 0.2 s more under TCG than an installed one).
LAB_AGENTS=/usr/lib/ocf/resource.d/lioha

node_prepare() {
  set -e
  modprobe dm_mod; modprobe drbd; modprobe target_core_mod; modprobe target_core_iblock; modprobe iscsi_target_mod
  # A sysrq c must hang the node (until it is fenced), not reboot it; panic_on_oops likewise.
  sysctl -qw kernel.panic=0 kernel.sysrq=1
  mkdir -p /etc/lvm /etc/drbd.d /var/lib/drbd /etc/target /etc/corosync /var/log/cluster /var/lib/pacemaker/cib \
    /run/crm /usr/lib/ocf/resource.d /var/lib/pcsd
  cat > /etc/lvm/lvm.conf <<'C'
devices {
  filter = [ "a|^/dev/drbd[0-9]+$|", "r|.*|" ]
  obtain_device_list_from_udev = 0
  use_devicesfile = 0
}
activation {
  udev_sync = 0
  udev_rules = 0
  monitoring = 0
}
global {
  use_lvmpolld = 0
  system_id_source = "uname"
}
C
  # The DRBD backing disk is a device-mapper linear map of the scratch disk, so that the "backing disk
  # fails" scenario can swap in an error target under a running DRBD.
  [ -e /dev/mapper/r0disk ] || dmsetup create r0disk --table "0 $(blockdev --getsz /dev/vdb) linear /dev/vdb 0"
  [ -b /dev/drbd0 ] || mknod /dev/drbd0 b 147 0
  cp "$LAB_CL/drbd/global_common.conf" "$LAB_CL/drbd/r0.res" /etc/drbd.d/
  cp "$LAB_CL/corosync.conf" /etc/corosync/corosync.conf
  install -m 0600 "$LAB_CL/saveconfig.json" /etc/target/saveconfig.json
  # The lioha agents as Pacemaker finds them (their sh launcher answers meta-data without starting Node:
  # pcs checks it through crm_resource, which allows 5 s, more than a Node start-up in a loaded TCG guest).
  rm -rf "$LAB_AGENTS"; cp -a "$LAB_REPO/dist/resource.d/lioha" "$LAB_AGENTS"
  install -m 0755 "$LAB_CL/guest/fence_lab" /usr/sbin/fence_lab
  install -m 0755 "$LAB_CL/guest/lab-alert" /usr/local/bin/lab-alert
  : > /run/lab-alerts.log; chmod 0666 /run/lab-alerts.log
  if [ ! -f /var/lib/pacemaker/cib/cib.xml ]; then
    cp "$LAB_CL/cib-seed.xml" /var/lib/pacemaker/cib/cib.xml
    chmod 0600 /var/lib/pacemaker/cib/cib.xml
  fi
  chown -R hacluster:haclient /var/lib/pacemaker /var/log/cluster
  set +e
}

# First boot only: DRBD metadata on both nodes, then (on one node) a new current UUID that marks both
# fresh (all-zero) disks as in sync without a full initial resync.
drbd_create() { drbdadm -- --force create-md r0 && drbdadm up r0; }
drbd_connected() { grep -q 'cs:Connected' /proc/drbd; }
drbd_skip_initial_sync() { drbdadm -- --clear-bitmap new-current-uuid r0; }
drbd_uptodate() { grep -q 'ds:UpToDate/UpToDate' /proc/drbd; }
# On the node that creates it: the VG the group serves, two LUN LVs and the metadata LV; then hand everything
# back to Pacemaker.
vg_create() {
  set -e
  drbdadm primary r0
  pvcreate -q -y /dev/drbd0 >/dev/null
  vgcreate -q vg1 /dev/drbd0 >/dev/null
  lvcreate -q -y -Wn -Zy -L "${LAB_LUN_MB:-48}M" -n lun0 vg1 >/dev/null
  # LUN 1: exported through a dm-era device (ddmap backend=era) for the backup scenarios; the writer does not touch it
  lvcreate -q -y -Wn -Zy -L "${LAB_LUN1_MB:-16}M" -n lun1 vg1 >/dev/null
  # The metadata filesystem the vg agent mounts (metadata_lv=meta on /mnt/iscsi-target/vg1): ddmap's state,
  # the target's APTPL files (pr_dir) and, in the lab, the backup destination move with the group on it
  lvcreate -q -y -Wn -Zy -L 80M -n meta vg1 >/dev/null
  vgmknodes vg1 >/dev/null
  mkfs.ext4 -q -F /dev/vg1/meta
  mkdir -p /mnt/iscsi-target/vg1
  mount -t ext4 /dev/vg1/meta /mnt/iscsi-target/vg1
  mkdir -m 0700 /mnt/iscsi-target/vg1/pr
  mkdir /mnt/iscsi-target/vg1/backup
  umount /mnt/iscsi-target/vg1
  vgchange -q -an vg1 >/dev/null
  vgchange -q --systemid '' vg1 >/dev/null 2>&1 || true
  drbdadm secondary r0
  set +e
}
drbd_release() { drbdadm down r0; }

cluster_start() {
  corosync >/dev/null 2>&1 </dev/null || return 1
  (env PATH="$PATH" DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1 PCMK_logfile=/var/log/cluster/pacemaker.log \
    setsid pacemakerd >/dev/null 2>&1 < /dev/null &)
}
# cluster_online N: both nodes (or N) online in this node's view
cluster_online() {
  local i; for i in $(seq 600); do
    [ "$(crm_mon -1 --output-as=xml 2>/dev/null | grep -c 'online="true"')" -ge "${1:-2}" ] && return 0
    sleep 0.5
  done; return 1
}

# ---------------------------------------------------------------------------------------- fault injection
# Graceful stop of this node's cluster stack, as `pcs cluster stop` does: pacemakerd stops (and so moves)
# every resource first, then corosync leaves the membership.
cluster_stop() {
  pkill -TERM -x pacemakerd || return 1
  local i; for i in $(seq 1200); do pgrep -x pacemakerd >/dev/null || break; sleep 0.5; done
  pgrep -x pacemakerd >/dev/null && { echo "pacemakerd still running after 600 s" >&2; return 1; }
  corosync-cfgtool -H >/dev/null 2>&1 || pkill -TERM -x corosync
  for i in $(seq 120); do pgrep -x corosync >/dev/null || return 0; sleep 0.5; done
  echo "corosync still running" >&2; return 1
}
# block_port PROTO PORT: drop that traffic both ways on this node (nftables table lab_block); unblock_all lifts it
block_port() {
  nft add table inet lab_block
  nft 'add chain inet lab_block in { type filter hook input priority -300; }'
  nft 'add chain inet lab_block out { type filter hook output priority -300; }'
  local c d; for c in in out; do for d in dport sport; do nft add rule inet lab_block $c "$1" $d "$2" drop; done; done
}
unblock_all() { nft delete table inet lab_block 2>/dev/null || true; }
# The DRBD backing disk fails: the linear map under DRBD becomes an error target (DRBD detaches: on-io-error
# detach); disk_restore maps the scratch disk again and re-attaches, DRBD resyncs what changed meanwhile.
disk_fail() {
  dmsetup load r0disk --table "0 $(blockdev --getsz /dev/vdb) error" && dmsetup resume r0disk
}
disk_restore() {
  dmsetup load r0disk --table "0 $(blockdev --getsz /dev/vdb) linear /dev/vdb 0" && dmsetup resume r0disk && drbdadm attach r0
}
drbd_state() { sed -n 's/.* cs:\([A-Za-z]*\) ro:\([A-Za-z/]*\) ds:\([A-Za-z/]*\).*/\1 \2 \3/p' /proc/drbd; }

# --- issue 16/18/20 checks (pr, backup, status scenarios) ----------------------------------------------------
LAB_LIOHA="$LAB_REPO/dist/bin/lioha"
LAB_META=/mnt/iscsi-target/vg1
# what test/lab/guest/status.sh needs from the one-VM lab's lib.sh
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
metric() { echo "$1 $2 ${3:-}" | tee -a /lab/out/metrics.txt; }
# node_status FILE GROUP NODE [INITIATOR]: lioha status --json into FILE (its wall time printed as status_ms),
# then what this node must see: GROUP on NODE, DRBD, portals, INITIATOR's session (test/lab/guest/status.sh)
node_status() {
  . "$LAB_REPO/test/lab/guest/status.sh"
  local f=$1; shift
  # --timeout 60: the one crm_mon call gets 5 s by default, which a starved TCG guest's crm_mon exceeds
  lab_status_snapshot "$f" --timeout 60 && lab_status_expect "$f" "$@"
}
# aptpl_files: the APTPL files in the group's pr_dir and where this node's dbroot links point
aptpl_files() {
  local d; d=$(cat /sys/kernel/config/target/dbroot)
  ls -l "$LAB_META/pr/" "$d/pr/" 2>&1
}
# lun_counters INITIATOR LUN: that initiator's counters in `lioha stats --format json` (its mapped LUN's read and
# write bytes, its session's data octets) and the TPG LUN's, as one JSON line
lun_counters() {
  timeout 120 "$LAB_LIOHA" stats --format json | node -e '
const [ini, lun] = [process.argv[1], Number(process.argv[2])];
const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tpgs = s.lio.targets.flatMap((t) => t.tpgs).filter((t) => t.enabled);
const acl = tpgs.flatMap((t) => t.acls).find((a) => a.initiator === ini);
const m = acl && acl.mappedLuns.find((x) => x.index === lun);
const l = tpgs.flatMap((t) => t.luns).find((x) => x.index === (m ? m.tpgLun : lun));
console.log(JSON.stringify({ mapped: m ? { r: m.readBytes, w: m.writeBytes, cmds: m.commands } : null,
  lun: l ? { r: l.readBytes, w: l.writeBytes } : null, session: acl ? { rx: acl.sessionCounters.rxBytes, tx: acl.sessionCounters.txBytes } : null }));' "$1" "$2"
}
# lun_backup LV DEST: lioha backup run with the era change source (report as JSON on stdout)
lun_backup() { timeout 600 "$LAB_LIOHA" backup run "vg1/$1" "$2" --changes era --json -q --timeout 200; }
lun_check() { timeout 600 "$LAB_LIOHA" backup check "$2" --volume "vg1/$1" -q; }
# lun_cmp LV DEST: the LV (nothing writes to it now, so it is what the snapshot held) equals the destination
lun_cmp() { blockdev --flushbufs "/dev/vg1/$1" && timeout 300 cmp "/dev/vg1/$1" "$2"; }
# seg_diff A B: the 16 KiB segments in which files A and B differ, one per line, ascending
seg_diff() {
  timeout 300 python3 - "$1" "$2" <<'P'
import sys
a, b = open(sys.argv[1], 'rb'), open(sys.argv[2], 'rb')
i = 0
while True:
    x, y = a.read(16384), b.read(16384)
    if not x and not y: break
    if x != y: print(i)
    i += 1
P
}
ddmap_state() { cat "$LAB_META/ddmap/$1.state"; }
ddmap_dump_bits() { . "$LAB_REPO/test/lab/guest/era.sh"; lab_dump_bits "$1"; }

# ------------------------------------------------------------------ active/active topology (run.ts --topology aa)
# A second DRBD resource r1 (vg2, target labtgt2, group g_tgt2) on the second half of the scratch disk, and the
# discovery portal's configuration. The two linear maps are made before node_prepare, which then keeps them.
node_prepare_aa() {
  modprobe dm_mod || return 1
  local half; half=$(( $(blockdev --getsz /dev/vdb) / 2 ))
  [ -e /dev/mapper/r0disk ] || dmsetup create r0disk --table "0 $half linear /dev/vdb 0" || return 1
  [ -e /dev/mapper/r1disk ] || dmsetup create r1disk --table "0 $half linear /dev/vdb $half" || return 1
  node_prepare || return 1
  [ -b /dev/drbd1 ] || mknod /dev/drbd1 b 147 1
  cp "$LAB_CL/drbd/r1.res" /etc/drbd.d/ || return 1
  install -m 0600 "$LAB_CL/saveconfig-tgt2.json" /etc/target/saveconfig-tgt2.json || return 1
  # lioha-portald's file from the cluster description, as an administrator makes it (its back-ends are every
  # group's portal addresses); test/cluster/portald-config.test.ts checks it equals portald-aa.json
  mkdir -p /etc/lioha && "$LAB_REPO/dist/bin/lioha" cluster discovery-config "$LAB_CL/lab-aa.json" -o /etc/lioha/portald.json
}
drbd_create_aa() { drbdadm -- --force create-md r0 && drbdadm -- --force create-md r1 && drbdadm up r0 && drbdadm up r1; }
drbd_connected_aa() { [ "$(grep -c 'cs:Connected' /proc/drbd)" -ge 2 ]; }
drbd_skip_initial_sync_aa() { drbdadm -- --clear-bitmap new-current-uuid r0 && drbdadm -- --clear-bitmap new-current-uuid r1; }
drbd_uptodate_aa() { [ "$(grep -c 'ds:UpToDate/UpToDate' /proc/drbd)" -ge 2 ]; }
vg_create_aa() {
  vg_create || return 1
  set -e
  drbdadm primary r1
  pvcreate -q -y /dev/drbd1 >/dev/null
  vgcreate -q vg2 /dev/drbd1 >/dev/null
  lvcreate -q -y -Wn -Zy -L "${LAB_LUN_MB:-48}M" -n lun0 vg2 >/dev/null
  vgchange -q -an vg2 >/dev/null
  vgchange -q --systemid '' vg2 >/dev/null 2>&1 || true
  drbdadm secondary r1
  set +e
}
drbd_release_aa() { drbdadm down r0 && drbdadm down r1; }
# iSCSI connections to this node's portals: "<local address> <peer address>" per established connection
iscsi_conns() { ss -Htn state established '( sport = :3260 )' | awk '{print $3, $4}'; }
