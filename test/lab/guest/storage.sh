# Guest storage helpers (sourced after lib.sh): LVM without udev on the scratch disk /dev/vdb.
# The snapshot root image makes it safe to replace lvm.conf: only the scratch disk and DRBD devices are
# scanned, so a PV inside a DRBD backing LV is seen once, through /dev/drbdN.
lab_lvm_conf() {
  cat > /etc/lvm/lvm.conf <<'C'
devices {
  filter = [ "a|^/dev/vdb$|", "a|^/dev/drbd[0-9]+$|", "r|.*|" ]
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
  # the vg agent's default exclusive-activation mode (system_id) needs a system ID source
  system_id_source = "uname"
}
C
}
# lab_vg: labvg on /dev/vdb with LVs lun0..lun3 (32 MiB) and d0,d1 (DRBD backing, 64 MiB + metadata).
lab_vg() {
  modprobe dm_mod
  lab_lvm_conf
  pvcreate -q -y /dev/vdb >/dev/null && vgcreate -q labvg /dev/vdb >/dev/null || return 1
  local n; for n in lun0 lun1 lun2 lun3; do lvcreate -q -y -Wn -Zn -L 32M -n $n labvg >/dev/null || return 1; done
  for n in d0 d1; do lvcreate -q -y -Wn -Zn -L 72M -n $n labvg >/dev/null || return 1; done
  # no udev: make the /dev/labvg/* links ourselves
  vgmknodes labvg >/dev/null
}
lab_lio_modules() { modprobe target_core_mod && modprobe target_core_iblock && modprobe target_core_file && modprobe iscsi_target_mod; }
# lab_lio_tree FILE: dump /sys/kernel/config/target in the recorded-tree format.
lab_lio_tree() { node "$LAB_REPO/test/lab/tools/dump-configfs.mjs" /sys/kernel/config/target > "$1"; }
lab_lio_empty() { [ -z "$(ls /sys/kernel/config/target/iscsi 2>/dev/null | grep -v -e discovery_auth -e lio_version -e cpus_allowed_list)" ] && [ -z "$(ls /sys/kernel/config/target/core | grep -v alua)" ]; }
