#!/usr/bin/env bash
# The main job for now: run the built example agent through the OCF actions by
# hand, the way an admin tests an agent, and show what Pacemaker would see.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d /tmp/lioha-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
agent=dist/resource.d/lioha/dummy
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=demo LIOHA_ROOT=$root OCF_RESKEY_fake=demo

step() {
  printf '\n$ %s\n' "$*"
  "$@"
  printf '=> exit %s\n' "$?"
}
./dist/bin/lioha agents
step "$agent" monitor
step "$agent" start
step "$agent" monitor
step "$agent" start
step "$agent" stop
step "$agent" stop
step "$agent" monitor
step env OCF_RESKEY_op_sleep=soon "$agent" start
step "$agent" frobnicate
