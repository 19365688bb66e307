#!/bin/bash
# Smoke test: the guest has the kernel facilities and tools every other lab test relies on.
. "$LAB_REPO/test/lab/guest/lib.sh"
ok "configfs mounted" mountpoint -q /sys/kernel/config
ok "target_core_mod loads" modprobe target_core_mod
ok "iscsi_target_mod loads" modprobe iscsi_target_mod
ok "LIO iscsi fabric registers in configfs" mkdir -p /sys/kernel/config/target/iscsi
ok "drbd module loads (8.4 in-kernel)" modprobe drbd
ok "dm_mod loads" modprobe dm_mod
ok "scratch disk present" test -b /dev/vdb
ok "system D-Bus up" test -S /run/dbus/system_bus_socket
ok "node runs" node -e 'process.exit(0)'
uname -r | tee "$T/uname"
cat /proc/drbd | head -1 | tee "$T/drbd-version"
# bare runtime start-up, so native figures can be derived from ratios
for i in 1 2 3; do timed node_bare_start node -e 0; done
for i in 1 2 3; do timed python3_bare_start python3 -c 0; done
finish
