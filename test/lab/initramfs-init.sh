#!/bin/busybox sh
# PID 1 of the lab initramfs: load the few modules needed to reach the root image and the 9p shares,
# then hand over to the guest init script that lives on the repo share (editable without a rebuild).
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r m; do insmod "/modules/$m" 2>/dev/null || echo "initramfs: insmod $m failed"; done < /modules/order
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
fail() { echo "LAB-INITRAMFS-FAILED: $*"; echo o > /proc/sysrq-trigger; sleep 5; }
mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount root image"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro repo /newroot/lab/repo || fail "cannot mount repo share"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /newroot/lab/out || fail "cannot mount out share"
mount --move /dev /newroot/dev
umount /sys /proc
exec switch_root /newroot /bin/bash /lab/repo/test/lab/guest/init.sh
