#!/bin/bash
# Two Pacemaker nodes on this one machine, each in its own network, mount and
# UTS namespace (corosync over a veth link, 10.99.0.1 <-> 10.99.0.2), all in one
# private PID namespace that dies with the script. The generated stack (DRBD
# stand-in) runs on lioha1; then a switchover (move + clear, nothing moves
# back) and a crash of the node holding the group (corosync and pacemaker
# killed with SIGKILL) are measured end to end.
#
# Usage: test/pacemaker/two-node.sh [--no-build] [--keep] [--crm]   (--crm: create the stack with the crmsh
# script instead of pcs, whose one Python process per command takes minutes on a busy machine)
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
[ "$(id -u)" = 0 ] || { echo "two-node.sh: needs root" >&2; exit 1; }
for t in corosync pacemakerd pcs crm_mon crm_resource unshare nsenter ip node; do
  command -v "$t" >/dev/null || { echo "two-node.sh: $t is not installed" >&2; exit 1; }
done
# The harness keeps the Node.js it runs under; Pacemaker and the agents do not get it in their PATH.
LIOHA_NODE_DIR=$(dirname "$(command -v node)")
export LIOHA_NODE_DIR
[ $build = 0 ] || (cd "$repo" && npm run --silent build)
work=$(mktemp -d /tmp/lioha-pacemaker2.XXXXXX)
cleanup() {
  rc=$?
  if [ $keep = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
mkdir -p "$work/ocf/lioha"
cp -R "$repo"/dist/resource.d/lioha/. "$work/ocf/lioha/"  # the agents and their .lioha/ bundles
unshare --pid --fork --mount-proc --mount --propagation private "$here/two-node-inner.sh" "$repo" "$work" "$stack"
