# Shared settings for the real-kernel lab host scripts (sourced, not run).
# Everything the lab builds lives under $LAB_CACHE (ignored by git), keyed by its inputs.
LAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_DIR="$LAB_REPO/test/lab"
# Machine-wide, keyed on inputs, so a fresh clone on the same machine (CI) reuses what an earlier run built.
LAB_CACHE=${LAB_CACHE:-/var/cache/lioha/lab}
LAB_SUITE=${LAB_SUITE:-bookworm}
LAB_MIRROR=${LAB_MIRROR:-http://deb.debian.org/debian}
LAB_SECURITY_MIRROR=${LAB_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Packages of the guest root image. Changing this list changes the cache key.
LAB_PACKAGES=(
  lvm2 drbd-utils open-iscsi targetcli-fb python3-rtslib-fb iproute2 nftables
  pacemaker pacemaker-cli-utils corosync pcs crmsh resource-agents dbus sg3-utils
  kmod procps psmisc util-linux e2fsprogs coreutils xfsprogs libxml2-utils python3 libiscsi-bin
  thin-provisioning-tools fio
)
# A guest is a cluster node: it also gets every tool the agents use (the .deb's Depends, Recommends and Suggests),
# from the one host-tools list, so the lab runs the agents with what an installed node has.
mapfile -t LAB_PACKAGES < <(printf '%s\n' "${LAB_PACKAGES[@]}" $("$LAB_REPO/scripts/host-tools.sh" packages agent) | awk '!seen[$0]++')
# Host packages: the "lab" rows of the one host-tools list.
mapfile -t LAB_HOST_PACKAGES < <("$LAB_REPO/scripts/host-tools.sh" packages lab)

lab_log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
lab_die() { printf '[lab %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }
