# A two-node DRBD stand-in inside one kernel (sourced): resources r0 (/dev/drbd0, :7789) and r1
# (/dev/drbd1, :7790) on LVs labvg/d0 and labvg/d1 replicate to each other over 127.0.0.1.
# The in-kernel module is DRBD 8.4; drbd-utils 9 drives it through drbdadm's 8.4 compatibility.
lab_drbd_conf() {
  mkdir -p /etc/drbd.d /var/lib/drbd
  cat > /etc/drbd.d/global_common.conf <<'C'
global { usage-count no; }
common { net { protocol C; } disk { on-io-error detach; } }
C
  # Two "hosts" in one kernel: each resource's local side is "lab", its peer is the other resource.
  cat > /etc/drbd.d/r0.res <<'C'
resource r0 {
  on lab   { device /dev/drbd0; disk /dev/labvg/d0; address 127.0.0.1:7789; meta-disk internal; }
  on peer0 { device /dev/drbd0; disk /dev/labvg/d0; address 127.0.0.1:7790; meta-disk internal; }
}
C
  cat > /etc/drbd.d/r1.res <<'C'
resource r1 {
  on lab   { device /dev/drbd1; disk /dev/labvg/d1; address 127.0.0.1:7790; meta-disk internal; }
  on peer1 { device /dev/drbd1; disk /dev/labvg/d1; address 127.0.0.1:7789; meta-disk internal; }
}
C
}
lab_drbd_nodes() { local i; for i in 0 1; do [ -b /dev/drbd$i ] || mknod /dev/drbd$i b 147 $i; done; }
# lab_drbd_up: both resources connected and UpToDate (r0 forced primary once, for the initial sync)
lab_drbd_up() {
  modprobe drbd || return 1
  lab_drbd_conf; lab_drbd_nodes
  local r; for r in r0 r1; do drbdadm -- --force create-md $r >/dev/null 2>&1 || return 1; drbdadm up $r || return 1; done
  drbdadm -- --overwrite-data-of-peer primary r0 || return 1
  lab_drbd_wait_sync
}
lab_drbd_wait_sync() {
  local i; for i in $(seq 600); do
    grep -q 'cs:Connected.*ds:UpToDate/UpToDate' <(sed -n '/^ 0:/p' /proc/drbd) &&
      grep -q 'cs:Connected.*ds:UpToDate/UpToDate' <(sed -n '/^ 1:/p' /proc/drbd) && return 0
    sleep 0.2
  done; cat /proc/drbd; return 1
}
lab_drbd_role() { sed -n "/^ $1:/p" /proc/drbd | sed 's/.*ro:\([A-Za-z]*\)\/.*/\1/'; }
