#!/bin/bash
# A real Pacemaker run of the lioha stack on this one machine, without systemd
# and without touching the host: corosync -f and pacemakerd (under env -i) on
# 127.0.0.1 inside private PID, network, mount and UTS namespaces. The built
# agents are installed under /usr/lib/ocf/resource.d/lioha in that mount
# namespace only; the stack comes from the generated pcs script
# (lioha cluster pcs --drbd-stand-in ...) and runs against a sandbox root
# (emulated configfs, LVM/DRBD command doubles, a veth link for the portal).
#
# It waits for every resource to be Started, shows crm_mon -1, deletes the
# portal address behind Pacemaker's back and waits for the recovery, then
# stops the cluster (resources stopped by Pacemaker) and checks nothing is
# left. When the script ends, for whatever reason, the PID namespace dies with
# every process in it, and the work directory is removed (--keep keeps it).
#
# Usage: test/pacemaker/run.sh [--no-build] [--keep] [--crm]   (--crm: create the stack with the crmsh script)
# Prints "time to all Started" and "recovery" figures; exit 0 when all passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=1
keep=0
stack=stack.sh
for a in "$@"; do
  case $a in
    --no-build) build=0 ;;
    --keep) keep=1 ;;
    --crm) stack=stack-crm.sh ;;
    *) echo "usage: $0 [--no-build] [--keep] [--crm]" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (namespaces, corosync, pacemaker)" >&2; exit 1; }
for t in corosync pacemakerd pcs crm_mon cibadmin unshare ip node mount; do
  command -v "$t" >/dev/null || { echo "run.sh: $t is not installed" >&2; exit 1; }
done
# The harness keeps the Node.js it runs under; Pacemaker and the agents do not get it in their PATH.
LIOHA_NODE_DIR=$(dirname "$(command -v node)")
export LIOHA_NODE_DIR

if [ $build = 1 ]; then
  (cd "$repo" && npm run --silent build)
fi
for a in vg target portal; do
  [ -x "$repo/dist/resource.d/lioha/$a" ] || { echo "run.sh: dist/resource.d/lioha/$a missing; run npm run build" >&2; exit 1; }
done

work=$(mktemp -d /tmp/lioha-pacemaker.XXXXXX)
cleanup() {
  rc=$?
  if [ $keep = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT

# The agents as installed: copies, so a concurrent `npm run build` cannot change them mid-run.
mkdir -p "$work/ocf/lioha"
cp -R "$repo"/dist/resource.d/lioha/. "$work/ocf/lioha/"  # the agents and their .lioha/ bundles

# PID 1 of the new PID namespace runs inner.sh; when it exits the kernel kills
# everything left in the namespace (corosync, pacemaker daemons, agents).
unshare --pid --fork --mount-proc --net --mount --uts --propagation private \
  "$here/inner.sh" "$repo" "$work" "$stack"
