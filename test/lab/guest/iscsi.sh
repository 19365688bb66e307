# open-iscsi helpers for lab tests (sourced). iscsid runs in the foreground-less daemon mode, started by hand.
lab_iscsid() {
  modprobe iscsi_tcp && modprobe sd_mod || return 1
  mkdir -p /run/lock/iscsi /etc/iscsi/nodes /etc/iscsi/send_targets
  iscsid || return 1
  local i; for i in $(seq 50); do [ -S /run/iscsid.sock ] || [ -n "$(pidof iscsid)" ] && return 0; sleep 0.1; done; return 1
}
lab_discover() { local o; o=$(iscsiadm -m discovery -t sendtargets -p 127.0.0.1:3260) || return 1; echo "$o"; grep -q " $1\$" <<<"$o"; }
# lab_node_chap IQN USER SECRET: CHAP settings of the node record (never echoed to the log)
lab_node_chap() {
  local n=(iscsiadm -m node -T "$1" -p 127.0.0.1:3260 --op update)
  "${n[@]}" -n node.session.auth.authmethod -v CHAP >/dev/null
  "${n[@]}" -n node.session.auth.username -v "$2" >/dev/null
  "${n[@]}" -n node.session.auth.password -v "$3" >/dev/null
}
lab_login() { timeout 60 iscsiadm -m node -T "$1" -p 127.0.0.1:3260 --login; }
lab_no_session() { ! iscsiadm -m session >/dev/null 2>&1; }
# lab_wait_disks N: wait until N disks behind iSCSI sessions exist (no udev: look in sysfs).
lab_wait_disks() {
  local i; for i in $(seq 100); do
    [ "$(ls -d /sys/class/scsi_disk/* 2>/dev/null | wc -l)" -ge "$1" ] && { lab_mknod_sd; return 0; }
    sleep 0.2
  done; return 1
}
# no udev: create /dev/sdX nodes from sysfs
lab_mknod_sd() {
  local d; for d in /sys/block/sd*; do [ -e "$d" ] || continue
    local n; n=$(basename "$d"); [ -b "/dev/$n" ] || mknod "/dev/$n" b $(tr : ' ' < "$d/dev"); done
}
# lab_disk_for_lun L: /dev/sdX of LUN L of the (single) iSCSI session
lab_disk_for_lun() {
  local h; for h in /sys/class/scsi_disk/*; do
    case $(basename "$h") in *:"$1") echo "/dev/$(ls "$h/device/block")"; return 0 ;; esac
  done; return 1
}
