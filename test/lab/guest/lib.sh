# Helpers for lab test scripts running inside the guest (sourced). Each test records TAP lines in
# $T/tap.txt, figures in $T/metrics.txt ("name value unit") and any artifact in $T/; the host asserts on them.
set -u
T="$LAB_OUT/$LAB_TEST"
mkdir -p "$T"
: > "$T/tap.txt"; : > "$T/metrics.txt"
LAB_FAILS=0
LAB_N=0
export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# ok DESC CMD... : runs CMD, records ok/not ok. Output goes to the log.
ok() {
  local desc=$1; shift; LAB_N=$((LAB_N+1))
  echo "+ $*"
  if "$@"; then echo "ok $LAB_N - $desc" | tee -a "$T/tap.txt"
  else local rc=$?; echo "not ok $LAB_N - $desc (rc $rc)" | tee -a "$T/tap.txt"; LAB_FAILS=$((LAB_FAILS+1)); fi
}
# fails DESC CMD... : records ok when CMD fails.
fails() {
  local desc=$1; shift; LAB_N=$((LAB_N+1))
  echo "+ ! $*"
  if "$@"; then echo "not ok $LAB_N - $desc (unexpectedly succeeded)" | tee -a "$T/tap.txt"; LAB_FAILS=$((LAB_FAILS+1))
  else echo "ok $LAB_N - $desc" | tee -a "$T/tap.txt"; fi
}
metric() { echo "$1 $2 ${3:-}" | tee -a "$T/metrics.txt"; }
# timed NAME CMD... : runs CMD, records its wall time in ms as metric NAME; returns CMD's status.
timed() {
  local name=$1; shift; local s; s=$(now_ms)
  "$@"; local rc=$?
  metric "$name" $(( $(now_ms) - s )) ms
  return $rc
}
skip() { LAB_N=$((LAB_N+1)); echo "ok $LAB_N - $1 # SKIP ${2:-}" | tee -a "$T/tap.txt"; }
finish() { echo "1..$LAB_N" >> "$T/tap.txt"; [ "$LAB_FAILS" = 0 ]; exit $?; }
# The agents, as built on the host (npm run build), copied from the share to the guest's own disk, where a
# package puts them: run from the share (9p, mounted sync, under TCG), every agent process paid about 0.2 s
# more than an installed one to read its bundle and code cache, and a comparison with targetctl (whose
# Python modules are on the guest's disk) was tilted by that much.
LAB_AGENTS=/opt/lioha/resource.d/lioha
if [ ! -d "$LAB_AGENTS" ] && [ -d "$LAB_REPO/dist/resource.d/lioha" ]; then
  mkdir -p "${LAB_AGENTS%/*}" && cp -a "$LAB_REPO/dist/resource.d/lioha" "$LAB_AGENTS"
fi
have_agent() { [ -x "$LAB_AGENTS/$1" ]; }
# agent NAME ACTION k=v... : runs a built lioha agent the way Pacemaker does (OCF_RESKEY_* env).
agent() {
  local name=$1 action=$2; shift 2
  local envs=(OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE="lab-$name" OCF_RESKEY_CRM_meta_timeout="${LAB_AGENT_TIMEOUT_MS:-120000}")
  local kv; for kv in "$@"; do envs+=("OCF_RESKEY_${kv%%=*}=${kv#*=}"); done
  env "${envs[@]}" "$LAB_AGENTS/$name" "$action"
}
# agent_rc_is N CMD... : CMD exits exactly N (OCF codes other than 0)
agent_rc_is() { local want=$1; shift; "$@"; local rc=$?; echo "rc $rc (want $want)"; [ "$rc" = "$want" ]; }
# quiet CMD... : CMD with stdout discarded (use inside ok/fails so their own TAP line still shows)
quiet() { "$@" >/dev/null; }
# tcp_probe HOST PORT: does something accept TCP connections there? (bash /dev/tcp, no extra tools)
tcp_probe() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
