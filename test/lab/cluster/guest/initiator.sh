# Cluster-lab initiator helpers (sourced by the host's commands on the initiator VM).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LAB_CL=$LAB_REPO/test/lab/cluster
LAB_VIP=192.0.2.10
LAB_TGT=iqn.2016-09.com.example:labtgt
LAB_INI=iqn.2016-09.com.example:lab-initiator
LAB_INI2=iqn.2016-09.com.example:lab-host2
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
  # the target exports two LUNs: the writer gets LUN 0 of this (the default iface's) session
  local i d; for i in $(seq 100); do
    if d=$(disk_of "$LAB_INI" 0) && disk_of "$LAB_INI" 1 >/dev/null; then echo "$d"; return 0; fi
    sleep 0.2
  done; return 1
}
# disk_of INITIATOR LUN: the /dev/sdX of that LUN in the session of that initiator name (made ready on the way:
# its node, and a SCSI command timeout above the failover time, so commands wait for the session to come back)
disk_of() {
  local s d n; for s in /sys/class/iscsi_session/session*; do
    [ "$(cat "$s/initiatorname" 2>/dev/null)" = "$1" ] || continue
    for d in "$s"/device/target*/*:"$2"/block/*; do
      [ -e "$d" ] || continue
      n=$(basename "$d"); [ -b "/dev/$n" ] || mknod "/dev/$n" b $(tr : ' ' < "$d/dev")
      echo 180 > "$d/device/timeout"
      echo "/dev/$n"; return 0
    done
  done; return 1
}
writer_start() { (setsid python3 "$LAB_CL/guest/writer.py" run "$1" /run/writer > /run/writer.log 2>&1 < /dev/null & echo $! > /run/writer.pid); }
writer_status() { cat /run/writer/status.json; }
writer_stop() {
  kill -TERM "$(cat /run/writer.pid)"
  local i; for i in $(seq 600); do [ -f /run/writer/report.json ] && { cat /run/writer/report.json; return 0; }; sleep 0.5; done; return 1
}

# --- issue 16/20 checks (pr, backup scenarios) ---------------------------------------------------------------
# A second I_T nexus for persistent reservations: iface hostB with its own initiator name (an ACL of its own in
# saveconfig.json), logged in next to the writer's session.
host2_login() {
  iscsiadm -m iface -I hostB >/dev/null 2>&1 || { iscsiadm -m iface -I hostB -o new >/dev/null &&
    iscsiadm -m iface -I hostB -o update -n iface.initiatorname -v $LAB_INI2 >/dev/null; } || return 1
  iscsiadm -m discovery -t sendtargets -p $LAB_VIP:3260 -I hostB >/dev/null || return 1
  timeout 60 iscsiadm -m node -T $LAB_TGT -p $LAB_VIP:3260 -I hostB --login >/dev/null || return 1
  local i; for i in $(seq 100); do disk_of $LAB_INI2 0 && return 0; sleep 0.2; done; return 1
}
host2_logout() { timeout 60 iscsiadm -m node -T $LAB_TGT -p $LAB_VIP:3260 -I hostB --logout >/dev/null; }
# clear_ua DEV: consume pending unit attentions (a switchover's nexus loss, reservation changes), as an
# initiator's SCSI layer does, so the next command gets a real answer
clear_ua() { local i; for i in 1 2 3 4 5 6; do timeout 200 sg_turs "$1" >/dev/null 2>&1 && return 0; sleep 1; done; return 1; }
# pr DEV ARGS...: sg_persist (bounded)
pr() { local dev=$1; shift; timeout 200 sg_persist -n "$@" "$dev"; }
# pr_state DEV: the registered keys and the reservation (holder, type), without the PR generation counter,
# sorted (a restore may list the registrations in another order)
pr_state() {
  clear_ua "$1" || return 1
  local k r; k=$(pr "$1" --in --read-keys) && r=$(pr "$1" --in --read-reservation) || return 1
  printf '%s\n%s\n' "$k" "$r" | sed 's/PR generation=0x[0-9a-fA-F]*, *//' | sort
}
# pr_full DEV: READ FULL STATUS (transport IDs, relative target port, holder), PR generation dropped
pr_full() { clear_ua "$1" && pr "$1" --in --read-full-status | sed 's/PR generation=0x[0-9a-fA-F]*, *//'; }
# io_mib DEV MIB: writes MIB MiB of random data from offset 0 with O_DIRECT (synced), then reads them back
# with O_DIRECT: what the target's counters must show, MiB for MiB
io_mib() {
  timeout 300 dd if=/dev/urandom of="$1" bs=1M count="$2" oflag=direct conv=fsync status=none &&
    timeout 300 dd if="$1" of=/dev/null bs=1M count="$2" iflag=direct status=none
}
# seg_write DEV OFF:LEN...: writes random bytes at each byte offset with O_DIRECT (512-byte aligned), fsync;
# prints the 16 KiB segments touched, ascending, one per line
seg_write() {
  timeout 300 python3 - "$@" <<'P'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_DIRECT)
segs = set()
for spec in sys.argv[2:]:
    off, length = (int(x) for x in spec.split(':'))
    buf = mmap.mmap(-1, length)          # page aligned, as O_DIRECT needs
    buf.write(os.urandom(length))
    assert os.pwritev(fd, [buf], off) == length
    segs.update(range(off >> 14, ((off + length - 1) >> 14) + 1))
os.fsync(fd)
os.close(fd)
print('\n'.join(str(s) for s in sorted(segs)))
P
}

# ------------------------------------------------------------------ active/active topology (run.ts --topology aa)
# The initiator knows only the discovery address (lioha-portald on 192.0.2.20); every login is redirected to
# the portal of the group that serves the target now (labtgt: 192.0.2.10, labtgt2: 192.0.2.11).
LAB_DISCO=192.0.2.20
LAB_TGT2=iqn.2016-09.com.example:labtgt2
LAB_INI=iqn.2016-09.com.example:lab-initiator
# SendTargets through the discovery address: "<address>,<tag> <target>" per line
disco_discover() { timeout 200 iscsiadm -m discovery -t sendtargets -p $LAB_DISCO:3260; }
# The block device of TARGET's session (made if the guest has no udev), with the failover SCSI timeout
iscsi_dev() {
  local s b n
  for s in /sys/class/iscsi_session/session*; do
    [ "$(cat "$s/targetname" 2>/dev/null)" = "$1" ] || continue
    for b in "$s"/device/target*/*:0/block/*; do [ -e "$b" ] || continue  # LUN 0: labtgt also exports the era LUN 1
      n=$(basename "$b"); [ -b "/dev/$n" ] || mknod "/dev/$n" b $(tr : ' ' < "$b/dev")
      echo 180 > "$b/device/timeout"
      echo "/dev/$n"; return 0
    done
  done; return 1
}
# disco_login TARGET: login through the discovery address; prints the device once it is there
disco_login() {
  timeout 200 iscsiadm -m node -T "$1" -p $LAB_DISCO:3260 --login >&2 || return 1
  local i; for i in $(seq 300); do iscsi_dev "$1" && return 0; sleep 0.2; done; return 1
}
disco_logout() { timeout 200 iscsiadm -m node -T "$1" -p $LAB_DISCO:3260 --logout >&2; }
# One line per session: "<target> <current portal> <persistent portal> <session state>"
session_info() {
  iscsiadm -m session -P 1 2>/dev/null | awk '/^Target:/ {t=$2} /Current Portal:/ {c=$3} /Persistent Portal:/ {p=$3}
    /iSCSI Session State:/ {print t, c, p, $4}'
}
# read_block DEV: one 4 KiB O_DIRECT read (the LUN answers I/O)
read_block() { timeout 200 dd if="$1" of=/dev/null bs=4096 count=1 iflag=direct status=none; }
# disco_bench ROUNDS: discovery and login latency through the discovery portal against asking the target's own
# portal directly, interleaved (the order flips every round). libiscsi's tools, so no node records change.
# Cold discovery uses an initiator name the portal has no state for; warm asks again at once with it.
# Prints "<round> <case> <microseconds>" lines (a case that fails prints nothing after its name).
disco_bench() {
  local r c ini s e cases
  us() { s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "FAILED $*" >&2; return 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
  for r in $(seq "$1"); do
    ini=iqn.2016-09.com.example:bench-$r-$RANDOM
    cases="st_direct st_portal_cold st_portal_warm login_direct login_portal"
    [ $((r % 2)) -eq 0 ] && cases="login_portal login_direct st_portal_cold st_portal_warm st_direct"
    for c in $cases; do
      case $c in
        st_direct) echo "$r $c $(us iscsi-ls -i $LAB_INI iscsi://$LAB_VIP)" ;;
        st_portal_cold) echo "$r $c $(us iscsi-ls -i "$ini" iscsi://$LAB_DISCO)" ;;
        st_portal_warm) echo "$r $c $(us iscsi-ls -i "$ini" iscsi://$LAB_DISCO)" ;;
        login_direct) echo "$r $c $(us iscsi-inq -i $LAB_INI iscsi://192.0.2.11/$LAB_TGT2/0)" ;;
        login_portal) echo "$r $c $(us iscsi-inq -i $LAB_INI iscsi://$LAB_DISCO/$LAB_TGT2/0)" ;;
      esac
    done
  done
}
# Set-up login of the active/active topology: discovery and the first target, both through the discovery address
initiator_login_aa() { disco_discover >&2 || return 1; disco_login $LAB_TGT; }
