#!/bin/bash
# Entry of a cluster-lab VM (run by test/lab/guest/init.sh with LAB_TEST_DIR=test/lab/cluster/guest):
# names the host, brings up its lab links, exposes the virtio-serial ports under /dev/virtio-ports/
# (no udev), then serves the host's commands on the lab.ctl port until the VM is powered off.
. "$LAB_OUT/vm.env"   # VM_NAME, VM_ROLE (node|initiator), VM_ADDR0, VM_ADDR1 (written by the host)
export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
hostname "$VM_NAME"
echo "$VM_NAME" > /etc/hostname
cat > /etc/hosts <<H
127.0.0.1 localhost
192.0.2.1 labA
192.0.2.2 labB
192.0.2.100 labI
H
ip link set eth0 up && ip addr add "$VM_ADDR0/24" dev eth0
if [ -n "${VM_ADDR1:-}" ]; then ip link set eth1 up && ip addr add "$VM_ADDR1/24" dev eth1; fi
modprobe virtio_console
mkdir -p /dev/virtio-ports
for i in $(seq 50); do ls /sys/class/virtio-ports/ 2>/dev/null | grep -q . && break; sleep 0.1; done
for p in /sys/class/virtio-ports/*; do ln -sfn "../$(basename "$p")" "/dev/virtio-ports/$(cat "$p/name")"; done
echo "$(cut -d' ' -f1 /proc/uptime)" > "$LAB_OUT/vm-up"
exec python3 "$LAB_REPO/test/lab/cluster/guest/agent.py" /dev/virtio-ports/lab.ctl
