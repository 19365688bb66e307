# Cluster-lab initiator helpers (sourced by the host's commands on the initiator VM).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LAB_CL=$LAB_REPO/test/lab/cluster
LAB_VIP=192.0.2.10
LAB_TGT=iqn.2016-09.com.example:labtgt
# Initiator settings for a failover target (recommended in docs): a dead connection is noticed by a NOP-Out
# that is not answered within noop_out_timeout (sent every noop_out_interval idle seconds); the session then
# reconnects to the portal address again and again, and I/O is queued (not failed) for up to
# replacement_timeout seconds. The TCG lab needs more headroom than real hardware (failover there is ~10x slower).
initiator_prepare() {
  set -e
  modprobe iscsi_tcp; modprobe sd_mod
  mkdir -p /run/lock/iscsi /etc/iscsi/nodes /etc/iscsi/send_targets
  sed -i -e 's/^node.session.timeo.replacement_timeout = .*/node.session.timeo.replacement_timeout = 180/' \
    -e 's/^node.conn\[0\].timeo.noop_out_interval = .*/node.conn[0].timeo.noop_out_interval = 2/' \
    -e 's/^node.conn\[0\].timeo.noop_out_timeout = .*/node.conn[0].timeo.noop_out_timeout = 5/' \
    -e 's/^node.startup = .*/node.startup = manual/' /etc/iscsi/iscsid.conf
  grep -E 'replacement_timeout|noop_out' /etc/iscsi/iscsid.conf | grep -v '^#'
  iscsid >/dev/null 2>&1 </dev/null
  set +e
}
initiator_login() {
  iscsiadm -m discovery -t sendtargets -p $LAB_VIP:3260 || return 1
  timeout 60 iscsiadm -m node -T $LAB_TGT -p $LAB_VIP:3260 --login || return 1
  local i d; for i in $(seq 100); do
    for d in /sys/block/sd*; do [ -e "$d" ] || continue
      local n; n=$(basename "$d"); [ -b "/dev/$n" ] || mknod "/dev/$n" b $(tr : ' ' < "$d/dev")
      # SCSI command timeout above the failover time: commands wait for the session to come back
      echo 180 > "$d/device/timeout"
      echo "/dev/$n"; return 0
    done; sleep 0.2
  done; return 1
}
writer_start() { (setsid python3 "$LAB_CL/guest/writer.py" run "$1" /run/writer > /run/writer.log 2>&1 < /dev/null & echo $! > /run/writer.pid); }
writer_status() { cat /run/writer/status.json; }
writer_stop() {
  kill -TERM "$(cat /run/writer.pid)"
  local i; for i in $(seq 600); do [ -f /run/writer/report.json ] && { cat /run/writer/report.json; return 0; }; sleep 0.5; done; return 1
}
