#!/bin/bash
# The I/O cost of the dm-era layer on the data path: fio 4 KiB random writes with O_DIRECT (psync, queue
# depth 1) and dd 1 MiB sequential O_DIRECT writes, straight to an LV and through the era device the ddmap
# agent put over it, in the same VM run, interleaved. Two era cases: the first write to each 16 KiB block
# in an era (the era device commits its metadata before it lets the write through) and writes to blocks
# already written in the current era (no metadata work). Prints the ratios (era / raw) as figures; the
# agent runs on a VG outside DRBD here (extra_devices lets its lvm see /dev/vdb).
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
if ! have_agent ddmap; then skip "era overhead" "ddmap agent not built in dist/"; finish; fi
ROUNDS=${ERA_BENCH_ROUNDS:-5}
IO_MB=${ERA_BENCH_IO_MB:-16}
SD=/tmp/sd
ERA=era-labvg-bench
ok "dm-era module loads" modprobe dm-era
ok "fio installed" command -v fio
ok "labvg" lab_vg
ok "LV bench (256 MiB)" bash -c "lvcreate -q -y -Wn -Zn -L 256M -n bench labvg >/dev/null && vgmknodes labvg"
mkdir -p $SD/labvg
dd_agent() { agent ddmap "$1" vgname=labvg backend=era lvs=bench state_dir=$SD 'extra_devices=^/dev/vdb$'; }
ok "ddmap start puts the era device over it" dd_agent start
ok "era device exists" dmsetup info $ERA
# fio_iops DEV SEED: write IOPS of IO_MB of 4 KiB random O_DIRECT writes (same offsets for the same seed)
fio_iops() {
  fio --name=w --filename="$1" --direct=1 --rw=randwrite --bs=4k --ioengine=psync --iodepth=1 --size=256M \
    --io_size=${IO_MB}M --randseed="$2" --output-format=json 2>/dev/null |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["write"]["iops"], 1))'
}
# dd_mbs DEV: MB/s of 64 MiB of 1 MiB sequential O_DIRECT writes
dd_mbs() {
  local s e; s=$(date +%s%N)
  dd if=/dev/zero of="$1" bs=1M count=64 oflag=direct status=none || return 1
  e=$(date +%s%N); echo $(( 64 * 1000000000 / (e - s) ))
}
: > /tmp/ratios
fio_iops /dev/labvg/bench 99 >/dev/null; fio_iops /dev/mapper/$ERA 99 >/dev/null   # warm-up, not counted
for r in $(seq "$ROUNDS"); do
  raw=$(fio_iops /dev/labvg/bench $r)
  dmsetup message $ERA 0 checkpoint                 # a new era: every block's first write commits metadata
  first=$(fio_iops /dev/mapper/$ERA $r)
  steady=$(fio_iops /dev/mapper/$ERA $r)             # the same blocks again, same era: already marked
  raw2=$(fio_iops /dev/labvg/bench $r)
  seq_raw=$(dd_mbs /dev/labvg/bench)
  dmsetup message $ERA 0 checkpoint
  seq_first=$(dd_mbs /dev/mapper/$ERA)
  seq_steady=$(dd_mbs /dev/mapper/$ERA)
  seq_raw2=$(dd_mbs /dev/labvg/bench)
  echo "round $r: rand4k raw $raw / $raw2 IOPS, era first-write $first, era steady $steady; seq 1M raw $seq_raw / $seq_raw2 MB/s, era first-write $seq_first, steady $seq_steady"
  python3 - "$raw" "$raw2" "$first" "$steady" "$seq_raw" "$seq_raw2" "$seq_first" "$seq_steady" >> /tmp/ratios <<'P'
import sys
raw, raw2, first, steady, seq_raw, seq_raw2, seq_first, seq_steady = map(float, sys.argv[1:])
anchor, seq_anchor = (raw + raw2) / 2, (seq_raw + seq_raw2) / 2
print(f"{first / anchor:.3f} {steady / anchor:.3f} {seq_first / seq_anchor:.3f} {seq_steady / seq_anchor:.3f} {anchor:.1f} {seq_anchor:.1f}")
P
done
ok "every round measured" test "$(wc -l < /tmp/ratios)" = "$ROUNDS"
python3 - /tmp/ratios > /tmp/figures <<'P'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
names = ["era_rand4k_first_write_ratio", "era_rand4k_steady_ratio", "era_seq1m_first_write_ratio", "era_seq1m_steady_ratio",
         "raw_rand4k_iops", "raw_seq1m_mbs"]
for i, n in enumerate(names):
    col = [r[i] for r in rows]
    print(f"{n} {min(col):.3f} {statistics.median(col):.3f} {max(col):.3f}")
P
cat /tmp/figures
while read -r name mn med mx; do metric "${name}_median" "$med" "(min $mn max $mx, $ROUNDS rounds)"; done < /tmp/figures
ok "ddmap stop removes the era device" dd_agent stop
finish
