#!/bin/bash
# The cluster lab's private network: one network namespace holding two bridges, with one tap per VM link.
#   br0 (service, 192.0.2.0/24): labA eth0 (.1), labB eth0 (.2), initiator eth0 (.100), the portal .10,
#       and the namespace's own .250 (the host's probes run here, never in the host's namespace);
#   br1 (replication, 198.51.100.0/24): labA eth1, labB eth1 (DRBD, corosync link 1).
# Usage: net.sh up NS | down NS
set -euo pipefail
ns=$2
case $1 in
  up)
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    x() { ip netns exec "$ns" "$@"; }
    x ip link set lo up
    for br in br0 br1; do x ip link add $br type bridge; x ip link set $br type bridge stp_state 0 forward_delay 0; x ip link set $br up; done
    x ip addr add 192.0.2.250/24 dev br0
    for t in a0:br0 a1:br1 b0:br0 b1:br1 i0:br0; do
      x ip tuntap add "${t%%:*}" mode tap
      x ip link set "${t%%:*}" master "${t##*:}"
      x ip link set "${t%%:*}" up
    done
    ;;
  down) ip netns del "$ns" 2>/dev/null || true ;;
  *) echo "usage: net.sh up|down NS" >&2; exit 2 ;;
esac
