#!/bin/bash
# The I/O cost of dm-era on the data path, measured on the real kernel: boots the lab guest for
# test/lab/tests/53-era-overhead.sh (fio 4 KiB random and dd 1 MiB sequential O_DIRECT writes, straight to an
# LV and through the era device the ddmap agent put over it, interleaved in one VM run) under the lab lock,
# then prints its figures (min/median/max of era/raw ratios over the rounds) and the host's load.
# Usage: bash bench/era-overhead.sh   (ERA_BENCH_ROUNDS, ERA_BENCH_IO_MB and the lab's LAB_* variables apply;
# needs a lab build: test/lab/build.sh, and the agents: npm run build)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/test/lab/lib.sh"
out="$LAB_CACHE/results/bench-era-$(date +%Y%m%d-%H%M%S)"
echo "host before: $(uptime)"
flock /tmp/lioha-lab.lock "$repo/test/lab/boot.sh" -o "$out" 53-era-overhead
echo "host after:  $(uptime)"
grep -h '^round ' "$out/53-era-overhead/log" || true
echo "figure (median, min..max over rounds):"
awk '{ printf "  %-36s %s %s\n", $1, $2, substr($0, index($0, $3)) }' "$out/53-era-overhead/metrics.txt"
grep -q '^not ok' "$out/53-era-overhead/tap.txt" && { echo "some checks failed: $out/53-era-overhead/tap.txt"; exit 1; } || true
