#!/bin/bash
# PID 1 of private PID/net/mount/UTS namespaces, started by run.sh. Everything
# here (mounts, links, daemons) vanishes with the namespaces.
set -euo pipefail
repo=$1
work=$2
stack=${3:-stack.sh}
here=$repo/test/pacemaker
node=lioha1
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
log() { printf '[%6.2fs] %s\n' "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')" "$*"; }
start=$(now)

hostname "$node"
# sysfs shows the network namespace of whoever mounted it: remount it for this one.
mount -t sysfs lioha-sys /sys
ip link set lo up
# The portal's interface: one end of a veth pair, both ends in this namespace
# (this kernel has no dummy driver).
ip link add lioha0 type veth peer name lioha0p
ip link set lioha0 up
ip link set lioha0p up

# Cluster state, logs and configuration on tmpfs, so nothing reaches the host.
for d in /etc/corosync /var/lib/corosync /var/log/corosync /var/lib/pacemaker /var/log/pacemaker /var/log/cluster /run/crm; do
  mkdir -p "$d"
  mount -t tmpfs -o mode=0755 lioha-pcmk "$d"
done
mkdir -p /var/lib/pacemaker/{cib,pengine,blackbox,cores}
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker

# The built agents, installed where Pacemaker looks for them (this mount namespace only).
mount -t overlay lioha-ocf -o "lowerdir=$work/ocf:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d

. "$here/cluster-files.sh"
PCMK_TOKEN=1000 pcmk_write_corosync_conf lioha-sandbox /var/log/corosync/corosync.log "$node=127.0.0.1"
pcmk_write_cib

# Sandbox root and the generated stack script (written by the built lioha CLI).
"$repo/node_modules/.bin/tsx" "$here/sandbox.ts" "$work"
# shellcheck source=/dev/null
. "$work/sandbox.env" # VIP NIC ROOT CHECK_STOPPED

coro_pid=
pcmk_pid=
teardown() {
  rc=$?
  trap - EXIT
  if [ -n "$pcmk_pid" ] && kill -0 "$pcmk_pid" 2>/dev/null; then
    log "stopping Pacemaker (it stops the resources first)"
    kill -TERM "$pcmk_pid"
    for _ in $(seq 1 600); do kill -0 "$pcmk_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pcmk_pid" 2>/dev/null; then log "FAIL: pacemakerd did not stop within 60 s"; rc=1; fi
  fi
  if [ -n "$coro_pid" ] && kill -0 "$coro_pid" 2>/dev/null; then
    kill -TERM "$coro_pid"
    for _ in $(seq 1 100); do kill -0 "$coro_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ $rc != 0 ]; then
    echo "---- pacemaker.log (last 60 lines)"
    tail -n 60 /var/log/pacemaker/pacemaker.log 2>/dev/null || true
  fi
  exit $rc
}
trap teardown EXIT

# Stand-in for LIO's kernel listener (the configfs here is emulated): the portal
# agent checks that something listens on the portal's port.
node -e 'require("net").createServer((s) => s.destroy()).listen(3260, "0.0.0.0")' &

log "starting corosync and pacemaker"
env -i PATH="$PATH" corosync -f >/var/log/corosync/stdout.log 2>&1 &
coro_pid=$!
env -i PATH="$PATH" pacemakerd >/var/log/pacemaker/stdout.log 2>&1 &
pcmk_pid=$!

wait_for() { # <timeout s> <description> <command...>
  local limit=$1 what=$2
  shift 2
  local t0
  t0=$(now)
  until "$@"; do
    if awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
      log "FAIL: timed out after ${limit}s waiting for $what"
      crm_mon -1 -f 2>/dev/null || true
      return 1
    fi
    sleep 0.1
  done
}

online() { crm_mon -1 2>/dev/null | grep -q "Online: \[ $node \]"; }
wait_for 60 "node online" online
log "node $node online"

status_xml() { crm_mon -1 --output-as=xml 2>/dev/null; }
configured() { cibadmin -Q -o resources 2>/dev/null | grep -q '<group '; }
all_started() {
  local x total ok
  x=$(status_xml) || return 1
  total=$(grep -c '<resource id=' <<<"$x" || true)
  ok=$(grep '<resource id=' <<<"$x" | grep 'active="true"' | grep 'failed="false"' | grep -cE 'role="(Started|Promoted)"' || true)
  [ "$total" -gt 0 ] && [ "$total" = "$ok" ]
}

log "applying the generated script ($work/$stack)"
sh "$work/$stack" >"$work/stack.log" 2>&1 &
script_pid=$!
wait_for 120 "resources in the CIB" configured
t_created=$(now)
has_failures() { status_xml | grep -q '<failure '; }
until all_started; do
  if has_failures; then log "FAIL: a resource operation failed while starting"; crm_mon -1 -f; exit 1; fi
  if awk -v a="$t_created" -v b="$(now)" 'BEGIN { exit !(b - a > 180) }'; then
    log "FAIL: not all resources Started within 180 s"; crm_mon -1 -f; exit 1
  fi
  sleep 0.1
done
t_started=$(now)
wait "$script_pid" || { log "FAIL: the stack script failed"; cat "$work/stack.log"; exit 1; }
log "all Started $(secs "$t_created" "$t_started") s after the resources were created"
crm_mon -1

# Kill a resource's state behind Pacemaker's back: the portal address.
failcount() { crm_failcount --query -r "$PORTAL_RSC" -N "$node" 2>/dev/null | sed -n 's/.*value=\([0-9]*\).*/\1/p'; }
failed() { [ "$(failcount)" -ge 1 ] 2>/dev/null; }
vip_back() { ip -o addr show dev "$NIC" | grep -q " $VIP/"; }
recovered() { failed && vip_back && all_started; }
log "deleting $VIP from $NIC behind Pacemaker's back"
t_kill=$(now)
ip addr del "$VIP/$PREFIX" dev "$NIC"
wait_for 60 "the failed monitor" failed
t_detect=$(now)
wait_for 60 "the recovery" recovered
t_recovered=$(now)
log "monitor failure seen $(secs "$t_kill" "$t_detect") s after the kill (monitor interval ${PORTAL_INTERVAL}s); recovered $(secs "$t_detect" "$t_recovered") s after the failed monitor"
crm_mon -1 -f

log "stopping the cluster"
kill -TERM "$pcmk_pid"
for _ in $(seq 1 900); do kill -0 "$pcmk_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pcmk_pid" 2>/dev/null && { log "FAIL: pacemakerd did not stop within 90 s"; exit 1; }
pcmk_pid=
t_down=$(now)
if vip_back; then log "FAIL: $VIP is still on $NIC after the cluster stopped"; exit 1; fi
if ! sh -c "$CHECK_STOPPED"; then log "FAIL: resources left behind after stop ($CHECK_STOPPED)"; exit 1; fi
log "cluster stopped, nothing left behind"

printf '\nRESULT time from resource creation to all Started: %s s\n' "$(secs "$t_created" "$t_started")"
printf 'RESULT failed monitor detected after: %s s (monitor interval %s s)\n' "$(secs "$t_kill" "$t_detect")" "$PORTAL_INTERVAL"
printf 'RESULT recovery after the failed monitor: %s s\n' "$(secs "$t_detect" "$t_recovered")"
printf 'RESULT whole run: %s s\n' "$(secs "$start" "$t_down")"
