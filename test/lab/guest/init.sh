#!/bin/bash
# PID 1 of the lab guest (no systemd): set up the kernel filesystems and D-Bus, run the requested
# lab tests from the read-only repo share, write each one's log/rc/artifacts to the out share, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
# no udev: the /dev/fd links bash process substitution needs
ln -sfn /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/lock /run/dbus /run/lvm /run/lock/lvm
modprobe configfs && mount -t configfs configfs /sys/kernel/config
hostname lab
ip link set lo up
echo 1 > /proc/sys/kernel/sysrq
dbus-daemon --system --fork
export LAB_OUT=/lab/out LAB_REPO=/lab/repo
. "$LAB_OUT/params.sh"   # written by the host runner: LAB_TESTS, LAB_TEST_TIMEOUT, LAB_TEST_DIR (test/lab/tests), ...
cut -d' ' -f1 /proc/uptime > "$LAB_OUT/boot-uptime"
for t in $LAB_TESTS; do
  mkdir -p "$LAB_OUT/$t"
  s=$(date +%s%N)
  tt=${LAB_TEST_TIMEOUT:-600}; for kv in ${LAB_TEST_TIMEOUTS:-}; do [ "${kv%%=*}" = "$t" ] && tt=${kv#*=}; done
  LAB_TEST=$t timeout -k 10 "$tt" bash "$LAB_REPO/${LAB_TEST_DIR:-test/lab/tests}/$t.sh" > "$LAB_OUT/$t/log" 2>&1
  echo $? > "$LAB_OUT/$t/rc"
  echo $(( ($(date +%s%N) - s) / 1000000 )) > "$LAB_OUT/$t/duration-ms"
done
cut -d' ' -f1 /proc/uptime > "$LAB_OUT/done"
sync
echo o > /proc/sysrq-trigger
sleep 30
