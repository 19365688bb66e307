#!/usr/bin/env bash
# The .deb on a clean node: a Debian minbase root (mmdebstrap) plus the .deb installed by apt, which brings only its
# declared dependencies (no Recommends). In that root, in network namespaces joined by a veth pair, `portal` starts
# with its default parameters (only ip= set: dad=true, arp_count=5, nic and prefix from the route), answers ARP from
# the peer, monitors 0, stops, monitors 7; every agent answers meta-data; `lioha agents --check` is ok.
# Runs as Pacemaker runs agents: env -i, PATH=/usr/sbin:/usr/bin:/sbin:/bin.
#
# Usage: packaging/check-clean-node.sh <lioha.deb> [suite]   (suite: trixie, the Debian with nodejs >= 20)
set -euo pipefail
deb=$(readlink -f "$1") && [ -f "$deb" ] || { echo "check-clean-node: no such package: $1" >&2; exit 1; }
suite=${2:-trixie}
mirror=${LIOHA_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "check-clean-node: needs root" >&2; exit 1; }

if [ "${3:-}" = --inside ]; then
  r=$4
  # The root must be a mount point: ip netns (and unshare --propagation) change the propagation of "/".
  mount --bind "$r" "$r"
  mount -t proc proc "$r/proc"
  mount -t sysfs sysfs "$r/sys"
  mount --rbind /dev "$r/dev"
  mount -t tmpfs -o mode=755 run "$r/run"
  exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -euo pipefail -c '
fail=0
check() { if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; fail=1; fi; }
a=n1-$$; b=n2-$$
ip netns add $a; ip netns add $b
trap "ip netns del $a; ip netns del $b" EXIT
ip link add veth0 netns $a type veth peer name veth1 netns $b
ip -n $a addr add 192.0.2.1/24 dev veth0; ip -n $a link set veth0 up; ip -n $a link set lo up
ip -n $b addr add 192.0.2.2/24 dev veth1; ip -n $b link set veth1 up
agent() { ip netns exec $a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=p_portal \
  OCF_RESKEY_ip=192.0.2.10 OCF_RESKEY_CRM_meta_timeout=20000 /usr/lib/ocf/resource.d/lioha/portal "$1"; }
rc() { local want=$1; shift; local got=0; "$@" || got=$?; [ "$got" = "$want" ] || { echo "  exit $got, expected $want"; return 1; }; }
echo "installed: $(dpkg-query -W -f="\${Package} " | wc -w) packages; $(command -v arping) $(command -v node) $(node --version)"
check rc 0 agent start
check rc 0 agent monitor
check sh -c "ip -n $a -o addr show dev veth0 | grep -q \" 192.0.2.10/24 \""
check sh -c "ip netns exec $b arping -c 1 -w 2 -I veth1 192.0.2.10 >/dev/null"
check rc 0 agent stop
check rc 7 agent monitor
for x in /usr/lib/ocf/resource.d/lioha/*; do n=${x##*/}; check grep -q "<resource-agent name=.$n." <($x meta-data); done
check lioha agents --check
exit $fail'
fi

work=$(mktemp -d /tmp/lioha-clean-node.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
t0=$SECONDS
echo "== clean $suite node: minbase + $(basename "$deb") and its dependencies"
cp "$deb" "$work/lioha.deb"
# apt in the root resolves the package's Depends only (mmdebstrap installs without Recommends).
mmdebstrap --quiet --variant=minbase --customize-hook='copy-in "'"$work"'/lioha.deb" /tmp' \
  --customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/lioha.deb >"$1/tmp/apt.log" 2>&1 || { tail -30 "$1/tmp/apt.log"; exit 1; }' \
  --customize-hook='rm -f "$1/tmp/lioha.deb"' \
  "$suite" "$work/root" "deb $mirror $suite main"
echo "root ready in $((SECONDS - t0)) s"
unshare --mount --pid --fork --kill-child --propagation private "$0" "$deb" "$suite" --inside "$work/root"
