#!/bin/bash
# PID 1 of the two-node run (see two-node.sh).
set -euo pipefail
repo=$1
work=$2
stack=${3:-stack.sh}
here=$repo/test/pacemaker
# Pacemaker's daemons (and so the agents) get the minimal PATH a real node gives them; the harness itself also
# needs the Node.js it was started with (tsx, node -e), wherever the README put it (LIOHA_NODE_DIR, from run.sh).
PACEMAKER_PATH=/usr/sbin:/usr/bin:/sbin:/bin
PATH=$PACEMAKER_PATH${LIOHA_NODE_DIR:+:$LIOHA_NODE_DIR}
export PATH

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
start=$(now)
log() { printf '[%6.2fs] %s\n' "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')" "$*"; }

# Named network namespaces live under /run/netns: keep them in this mount namespace.
mkdir -p /run/netns
mount -t tmpfs -o mode=0755 lioha-netns /run/netns
ip netns add lioha-n1
ip netns add lioha-n2
ip link add c1 netns lioha-n1 type veth peer name c2 netns lioha-n2
ip -n lioha-n1 addr add 10.99.0.1/24 dev c1
ip -n lioha-n2 addr add 10.99.0.2/24 dev c2
ip -n lioha-n1 link set c1 up
ip -n lioha-n2 link set c2 up

for n in 1 2; do
  ip netns exec "lioha-n$n" unshare --mount --uts --propagation private "$here/node.sh" "$repo" "$work" "$n" >"$work/node$n.log" 2>&1 &
done
on() { # <node> <command...>: run a command on a node (its network, mount and UTS namespaces)
  local n=$1
  shift
  nsenter -t "$(cat "$work/node$n.pid")" -m -u -n -- "$@"
}
teardown() {
  rc=$?
  trap - EXIT
  for n in 1 2; do
    p=$(cat "$work/node$n.pacemakerd" 2>/dev/null || true)
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p"
      for _ in $(seq 1 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  if [ $rc != 0 ]; then
    for n in 1 2; do echo "---- node $n"; tail -n 30 "$work/node$n.log" || true; on "$n" tail -n 40 /var/log/pacemaker/pacemaker.log 2>/dev/null || true; done
  fi
  ip netns del lioha-n1 2>/dev/null || true
  ip netns del lioha-n2 2>/dev/null || true
  exit $rc
}
trap teardown EXIT

wait_for() { # <timeout s> <description> <command...>
  local limit=$1 what=$2
  shift 2
  local t0
  t0=$(now)
  until "$@"; do
    if awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
      log "FAIL: timed out after ${limit}s waiting for $what"
      on 1 crm_mon -1 -f 2>/dev/null || true
      return 1
    fi
    sleep 0.1
  done
}
ready() { [ -s "$work/node1.pid" ] && [ -s "$work/node2.pid" ] && [ -s "$work/node1.pacemakerd" ] && [ -s "$work/node2.pacemakerd" ]; }
wait_for 300 "both nodes set up" ready
both_online() { on 1 crm_mon -1 2>/dev/null | grep -c 'Online: \[ lioha1 lioha2 \]' >/dev/null; }
wait_for 300 "both nodes online" both_online
log "lioha1 and lioha2 online"

xml() { on "$1" crm_mon -1 --output-as=xml 2>/dev/null; }
# group_on <observer> <node>: every g_tgt member Started on <node>, nothing failed
GROUP="p_vg_vg1 p_target_vg1 p_portal_vg1"
group_on() {
  local x r
  x=$(xml "$1") || return 1
  for r in $GROUP; do
    grep -A1 "<resource id=\"$r\"" <<<"$x" | tr -d '\n' | grep 'role="Started"' | grep 'failed="false"' | grep -c "node name=\"$2\"" >/dev/null || return 1
  done
}
configured() { on 1 cibadmin -Q -o resources 2>/dev/null | grep -c '<group ' >/dev/null; }

log "applying the generated stack script ($stack) on lioha1"
on 1 sh "/run/lioha-sandbox/$stack" >"$work/stack.log" 2>&1 &
script_pid=$!
wait_for 400 "resources in the CIB" configured
t_created=$(now)
wait_for 240 "g_tgt Started on lioha1" group_on 1 lioha1
t_started=$(now)
wait "$script_pid" || { log "FAIL: the stack script failed"; cat "$work/stack.log"; exit 1; }
log "g_tgt Started on lioha1 $(secs "$t_created" "$t_started") s after the resources were created"
on 1 crm_mon -1

log "switchover: crm_resource --move g_tgt"
t0=$(now)
on 1 crm_resource --move --resource g_tgt >/dev/null 2>&1
wait_for 180 "g_tgt Started on lioha2" group_on 1 lioha2
t_switch=$(now)
on 1 crm_resource --clear --resource g_tgt >/dev/null 2>&1
log "switched over in $(secs "$t0" "$t_switch") s; cleared the cli-ban"
# Where the time went: each agent action's own run time (exec-time, ms) as recorded in the CIB.
op_times() { # <observer>: "<operation_key> <node> <exec-time> <queue-time>" of each last start/stop/promote/demote
  on "$1" cibadmin -Q -o status 2>/dev/null | grep -o '<lrm_rsc_op [^>]*>' |
    grep -E 'operation="(start|stop|promote|demote)"' |
    sed -E 's/.*operation_key="([^"]*)".*on_node="([^"]*)".*exec-time="([0-9]+)".*queue-time="([0-9]+)".*/\1 \2 \3 \4/'
}
op_times 1 >"$work/switch-ops-all.txt"
# The critical path of the move, in order: the group members stop on lioha1 (last first),
# DRBD demotes there and promotes on lioha2, the members start on lioha2. Each op waits for
# the one before, so the sum of their exec-times is the agents' share of the switchover.
critical=""
for r in $(echo "$GROUP" | tr ' ' '\n' | tac); do critical="$critical ${r}_stop_0@lioha1"; done
critical="$critical p_drbd_r0_demote_0@lioha1 p_drbd_r0_promote_0@lioha2"
for r in $GROUP; do critical="$critical ${r}_start_0@lioha2"; done
log "switchover critical path, each op's exec-time (and queue-time) from the CIB operation history:"
: >"$work/switch-ops.txt"
for k in $critical; do
  line=$(awk -v key="${k%@*}" -v node="${k#*@}" '$1 == key && $2 == node' "$work/switch-ops-all.txt" | tail -n 1)
  [ -n "$line" ] || { log "FAIL: no ${k%@*} on ${k#*@} in the operation history"; cat "$work/switch-ops-all.txt"; exit 1; }
  echo "$line" >>"$work/switch-ops.txt"
done
awk '{ printf "  %-26s %-7s %6d ms  (queued %d ms)\n", $1, $2, $3, $4 }' "$work/switch-ops.txt"
agents_ms=$(awk '{ s += $3 } END { print s + 0 }' "$work/switch-ops.txt")
# DRBD's share is the stock agent's (here its Stateful stand-in), not lioha's.
drbd_ms=$(awk '$1 ~ /^p_drbd_/ { s += $3 } END { print s + 0 }' "$work/switch-ops.txt")
switch_ms=$(awk -v a="$t0" -v b="$t_switch" 'BEGIN { printf "%d", (b - a) * 1000 }')
sleep 5
group_on 1 lioha2 || { log "FAIL: g_tgt moved back after clear"; exit 1; }
log "still on lioha2 5 s after clear (no failback)"
on 1 crm_mon -1

log "crash of lioha2 (corosync and pacemaker killed)"
t_crash=$(now)
pkids=$(cat "$work/node2.pacemakerd")
kill -KILL "$(cat "$work/node2.corosync")"
kill -KILL "$pkids" $(pgrep -P "$pkids" || true)
wait_for 90 "g_tgt Started on lioha1 after the crash" group_on 1 lioha1
t_failover=$(now)
log "failed over in $(secs "$t_crash" "$t_failover") s"
on 1 crm_mon -1

printf '\nRESULT two nodes: time from resource creation to all Started: %s s\n' "$(secs "$t_created" "$t_started")"
printf 'RESULT two nodes: switchover (move) until all Started on the peer: %s s\n' "$(secs "$t0" "$t_switch")"
printf 'RESULT two nodes: switchover split: agents (sum of op exec-times on the critical path) %s ms, Pacemaker and the rest %s ms (load average %s)\n' \
  "$agents_ms" "$((switch_ms - agents_ms))" "$(cut -d' ' -f1 /proc/loadavg)"
printf 'RESULT two nodes: agents split: lioha agents %s ms, DRBD stand-in (ocf:pacemaker:Stateful, not lioha) %s ms\n' \
  "$((agents_ms - drbd_ms))" "$drbd_ms"
printf 'RESULT two nodes: failover after a node crash until all Started on the survivor: %s s (corosync token 1000 ms)\n' "$(secs "$t_crash" "$t_failover")"
