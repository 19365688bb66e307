#!/bin/bash
# Boots the lab guest once (snapshot=on: the image never changes) and runs the given lab tests inside it.
# Usage: boot.sh [-o OUTDIR] TEST...   (TEST = name of test/lab/tests/<TEST>.sh)
# Env: LAB_ACCEL=tcg|kvm (default tcg: /dev/kvm here only runs PVM guests), LAB_SMP (1), LAB_MEM (1024 MB),
#      LAB_BOOT_TIMEOUT (90 s to reach the guest init), LAB_TEST_TIMEOUT (600 s per test).
# Exit 0 when the guest ran every test and powered off; non-zero (loudly) on a boot failure or timeout.
# Test verdicts are not judged here: the host assertions read OUTDIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=
while getopts o: o; do case $o in o) out=$OPTARG ;; *) exit 2 ;; esac; done
shift $((OPTIND-1))
(($#)) || lab_die "usage: boot.sh [-o OUTDIR] TEST..."
for t in "$@"; do [ -f "$LAB_DIR/tests/$t.sh" ] || lab_die "no such lab test: $t"; done
img="$LAB_CACHE/current${LAB_KERNEL_SUITE:+-$LAB_KERNEL_SUITE}"   # LAB_KERNEL_SUITE=trixie: the 6.12 guest
[ -f "$img/complete" ] || lab_die "no lab build; run test/lab/build.sh"
out=${out:-$LAB_CACHE/results/$(date +%Y%m%d-%H%M%S)-$1}
rm -rf "$out"; mkdir -p "$out"
accel=${LAB_ACCEL:-tcg}; smp=${LAB_SMP:-1}; mem=${LAB_MEM:-1024}
boot_timeout=${LAB_BOOT_TIMEOUT:-90}; test_timeout=${LAB_TEST_TIMEOUT:-600}
# A test that needs longer says so in its header ("# lab-timeout: <s>"); LAB_TEST_TIMEOUT, when larger, wins.
timeouts=(); sum_timeouts=0
for t in "$@"; do
  own=$(sed -n 's/^# lab-timeout: *\([0-9]\+\).*/\1/p' "$LAB_DIR/tests/$t.sh" | head -1)
  tt=$(( ${own:-0} > test_timeout ? ${own:-0} : test_timeout ))
  timeouts+=("$t=$tt"); sum_timeouts=$((sum_timeouts + tt + 15))
done
cat > "$out/params.sh" <<P
LAB_TESTS='$*'
LAB_TEST_TIMEOUT=$test_timeout
LAB_TEST_TIMEOUTS='${timeouts[*]}'
LAB_SMP=$smp
LAB_ACCEL=$accel
export LAB_CONFORMANCE=${LAB_CONFORMANCE:-subset}
P
# host-side preparation: test/lab/tests/<test>.prepare.ts <dir> writes fixtures the guest finds in $T/prepared
for t in "$@"; do
  if [ -f "$LAB_DIR/tests/$t.prepare.ts" ]; then
    mkdir -p "$out/$t/prepared"
    (cd "$LAB_REPO" && npx tsx "$LAB_DIR/tests/$t.prepare.ts" "$out/$t/prepared") || lab_die "$t.prepare.ts failed"
  fi
done
case $accel in
  kvm) accel_args=(-accel kvm -cpu host) ;;
  tcg) accel_args=(-accel "tcg,thread=multi,tb-size=256" -cpu max) ;;
  *) lab_die "LAB_ACCEL must be tcg or kvm" ;;
esac
kernel="$img/vmlinux"; [ -f "$kernel" ] || kernel="$img/vmlinuz"
scratch="$out/.scratch.img"   # second disk for LVs, DRBD backing devices and LUNs (sparse, removed after)
truncate -s 4G "$scratch"
qemu=(qemu-system-x86_64 -machine pc "${accel_args[@]}" -smp "$smp" -m "$mem"
  -display none -monitor none -serial "file:$out/console.log" -no-reboot -nic none
  -kernel "$kernel" -initrd "$img/initrd.img"
  # no_timer_check: under a loaded TCG host 6.12 panics in the IO-APIC timer check ("IO-APIC + timer doesn't work")
  -append "console=ttyS0 panic=-1 quiet loglevel=4 mitigations=off tsc=reliable no_timer_check"
  -drive "file=$img/root.img,if=virtio,format=raw,snapshot=on,cache=unsafe"
  -drive "file=$scratch,if=virtio,format=raw,cache=unsafe"
  -virtfs "local,path=$LAB_REPO,mount_tag=repo,security_model=none,readonly=on"
  -virtfs "local,path=$out,mount_tag=out,security_model=none")
lab_log "booting ($accel, smp $smp, ${mem} MB) for: $*  -> $out"
start=$(date +%s.%N)
"${qemu[@]}" & qpid=$!
cleanup() { kill "$qpid" 2>/dev/null || true; rm -f "$scratch"; }
trap cleanup EXIT
elapsed() { echo "$(date +%s.%N) - $start" | bc; }
fail() {
  lab_log "FAILED: $*"; kill "$qpid" 2>/dev/null || true
  echo "--- last console lines ($out/console.log):" >&2; tail -n 30 "$out/console.log" >&2 || true
  echo "$*" > "$out/failed"; exit 1
}
while [ ! -f "$out/boot-uptime" ]; do
  kill -0 "$qpid" 2>/dev/null || fail "qemu exited before the guest init started"
  (( $(echo "$(elapsed) > $boot_timeout" | bc) )) && fail "boot timeout: guest init not reached in ${boot_timeout}s"
  sleep 0.5
done
printf 'boot_to_init_s %.1f\n' "$(elapsed)" > "$out/host-times.txt"
lab_log "guest init up after $(printf %.1f "$(elapsed)") s"
total_timeout=$(( boot_timeout + sum_timeouts + 30 ))
while kill -0 "$qpid" 2>/dev/null; do
  (( $(echo "$(elapsed) > $total_timeout" | bc) )) && fail "run timeout after ${total_timeout}s"
  sleep 0.5
done
wait "$qpid" || true
printf 'total_s %.1f\n' "$(elapsed)" >> "$out/host-times.txt"
[ -f "$out/done" ] || fail "guest powered off without finishing (see console.log)"
for t in "$@"; do lab_log "$t: rc $(cat "$out/$t/rc") in $(cat "$out/$t/duration-ms") ms"; done
ln -sfn "$out" "$LAB_CACHE/results/latest"
