# Cluster-lab node helpers (sourced by the host's commands on a node VM). Everything the root image does
# not keep (snapshot=on) is set up again on every boot by node_prepare; the DRBD backing disk /dev/vdb is
# the node's own persistent scratch disk.
export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LAB_CL=$LAB_REPO/test/lab/cluster
LAB_AGENTS=$LAB_REPO/dist/resource.d/lioha

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
  ln -sfn "$LAB_AGENTS" /usr/lib/ocf/resource.d/lioha
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
# On the node that creates it: the VG the group serves, one LUN LV; then hand everything back to Pacemaker.
vg_create() {
  set -e
  drbdadm primary r0
  pvcreate -q -y /dev/drbd0 >/dev/null
  vgcreate -q vg1 /dev/drbd0 >/dev/null
  lvcreate -q -y -Wn -Zy -L "${LAB_LUN_MB:-48}M" -n lun0 vg1 >/dev/null
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
  install -D -m 0644 "$LAB_CL/portald-aa.json" /etc/lioha/portald.json
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
