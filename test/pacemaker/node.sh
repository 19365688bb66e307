#!/bin/bash
# One node of the two-node sandbox (two-node.sh): runs inside that node's
# network namespace and its own mount and UTS namespaces. Sets up the node's
# private state, starts corosync and pacemakerd, and stays until killed.
set -euo pipefail
repo=$1
work=$2
n=$3
here=$repo/test/pacemaker
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

hostname "lioha$n"
# (ip netns exec has already mounted a sysfs of this network namespace on /sys)
ip link set lo up
ip link add lioha0 type veth peer name lioha0p
ip link set lioha0 up
ip link set lioha0p up
# /run too: corosync keeps its single-instance lock there (/run/corosync.pid).
for d in /run /etc/corosync /var/lib/corosync /var/log/corosync /var/lib/pacemaker /var/log/pacemaker /var/log/cluster /run/crm /run/lioha-sandbox; do
  mkdir -p "$d"
  mount -t tmpfs -o mode=0755 lioha-pcmk "$d"
done
mkdir -p /var/lib/pacemaker/{cib,pengine,blackbox,cores}
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker
mount -t overlay lioha-ocf -o "lowerdir=$work/ocf:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d

. "$here/cluster-files.sh"
PCMK_TOKEN=1000 PCMK_TWO_NODE=1 pcmk_write_corosync_conf lioha-sandbox2 /var/log/corosync/corosync.log lioha1=10.99.0.1 lioha2=10.99.0.2
pcmk_write_cib

# This node's sandbox root (same path on both nodes, different content) and stack script.
"$repo/node_modules/.bin/tsx" "$here/sandbox.ts" /run/lioha-sandbox "$here/sandbox-2node.json"
node -e 'require("net").createServer((s) => s.destroy()).listen(3260, "0.0.0.0")' &

env -i PATH="$PATH" corosync -f >/var/log/corosync/stdout.log 2>&1 &
echo $! >"$work/node$n.corosync"
env -i PATH="$PATH" pacemakerd >/var/log/pacemaker/stdout.log 2>&1 &
echo $! >"$work/node$n.pacemakerd"
echo $$ >"$work/node$n.pid"
wait
