#!/bin/bash
# Where the target agent's start and stop spend their time on the real kernel: boots the lab guest for
# test/lab/tests/41-target-profile-overhead.sh under the lab lock (V8 CPU profiles of agent start/stop,
# interleaved with targetctl restore/clear and the bare interpreters), then prints the split by phase.
# Usage: bash bench/target-lab-profile.sh   (LAB_PROFILE_ROUNDS, 3 by default, and the lab's LAB_* apply;
# needs a lab build: test/lab/build.sh, and the agents: npm run build)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/test/lab/lib.sh"
out="$LAB_CACHE/results/bench-target-profile-$(date +%Y%m%d-%H%M%S)"
echo "host before: $(uptime)"
flock /tmp/lioha-lab.lock "$repo/test/lab/boot.sh" -o "$out" 41-target-profile-overhead
echo "host after:  $(uptime)"
"$repo/node_modules/.bin/tsx" "$repo/bench/target-lab-profile.ts" "$out/41-target-profile-overhead"
grep -q '^not ok' "$out/41-target-profile-overhead/tap.txt" && { echo "some checks failed: $out/41-target-profile-overhead/tap.txt"; exit 1; } || true
