#!/bin/bash
# SCSI-3 persistent reservations on the real kernel (issue 16 item 7), through open-iscsi and sg_persist, with
# two initiators (lab-initiator on the default iface, host2 on a second iface): register (APTPL), reserve Write
# Exclusive - Registrants Only, read keys and reservation, release, reserve Exclusive Access - Registrants Only,
# preempt by the other initiator, then a target stop + start under the initiators' live sessions, which
# recover on their own as a real initiator's do (same ISIDs, so the same I_T nexuses): the reservation is still
# there, restored from <dbroot>/pr, and its holder can release it. The same sequence runs against the agent-built target and a `targetctl restore`-built one of the
# same file; every sg_persist answer is kept as <build>-<step>.txt and the host (pr.lab.ts) compares them.
# Then the switchover model in one VM: the agent with pr_dir (the group's storage) on "node A" (one dbroot),
# stopped, and started as "node B" (another, empty dbroot, same pr_dir): the reservation comes back.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/iscsi.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
IQN=$LAB_IQN
PORTAL=127.0.0.1:3260
INI_A=iqn.2016-09.com.example:lab-initiator
INI_B=iqn.2016-09.com.example:host2
if ! have_agent target; then skip "target agent" "not built in dist/"; finish; fi
ok "labvg with 4 LUN LVs" lab_vg
ok "LIO modules load" lab_lio_modules
lab_target_config
CFG=$LAB_TARGET_CFG
ok "iscsid started by hand" lab_iscsid
ok "second iface hostB with initiator name $INI_B" bash -c "iscsiadm -m iface -I hostB -o new >/dev/null &&
  iscsiadm -m iface -I hostB -o update -n iface.initiatorname -v $INI_B >/dev/null"

# --- helpers ------------------------------------------------------------------------------------------------
node_chap() { # IFACE USER SECRET (never echoed)
  local n=(iscsiadm -m node -T "$IQN" -p "$PORTAL" -I "$1" --op update)
  "${n[@]}" -n node.session.auth.authmethod -v CHAP >/dev/null && "${n[@]}" -n node.session.auth.username -v "$2" >/dev/null &&
    "${n[@]}" -n node.session.auth.password -v "$3" >/dev/null
}
discover_both() {
  iscsiadm -m discovery -t sendtargets -p "$PORTAL" -I default -I hostB >/dev/null || return 1
  node_chap default user0 labsecret0pw && node_chap hostB user1 labsecret1pw
}
login_both() {
  timeout 60 iscsiadm -m node -T "$IQN" -p "$PORTAL" -I default --login >/dev/null || return 1
  timeout 60 iscsiadm -m node -T "$IQN" -p "$PORTAL" -I hostB --login >/dev/null || return 1
  lab_wait_disks 8 || return 1
  DEV_A=$(disk_of "$INI_A" 0) && DEV_B=$(disk_of "$INI_B" 0) || return 1
  echo "A ($INI_A) LUN 0: $DEV_A; B ($INI_B) LUN 0: $DEV_B"
}
logout_both() { timeout 60 iscsiadm -m node -T "$IQN" -p "$PORTAL" --logout >/dev/null && lab_no_session; }
# disk_of INITIATOR LUN: the /dev/sdX of that LUN in the session of that initiator name
disk_of() {
  local s d; for s in /sys/class/iscsi_session/session*; do
    [ "$(cat "$s/initiatorname" 2>/dev/null)" = "$1" ] || continue
    for d in "$s"/device/target*/*:"$2"/block/*; do [ -e "$d" ] && { echo "/dev/$(basename "$d")"; return 0; }; done
  done; return 1
}
# pr BUILD STEP DEV ARGS...: sg_persist, its answer kept as $T/BUILD-STEP.txt (with its exit status)
pr() {
  local build=$1 step=$2 dev=$3; shift 3
  local out; out=$(sg_persist -n "$@" "$dev" 2>&1); local rc=$?
  printf '%s\nexit %s\n' "$out" "$rc" > "$T/$build-$step.txt"
  echo "$out"; return $rc
}
has() { grep -Eq "$2" "$T/$1.txt" || { echo "no /$2/ in $1:"; cat "$T/$1.txt"; return 1; }; }
hasnt() { ! grep -Eq "$2" "$T/$1.txt" || { echo "/$2/ in $1:"; cat "$T/$1.txt"; return 1; }; }
# keys BUILD STEP DEV WHEN KEY...: read the keys (kept as BUILD-STEP); each KEY is registered, each !KEY is not
keys() {
  local b=$1 step=$2 dev=$3 when=${4:+$4 } k; shift 4
  pr "$b" "$step" "$dev" --in --read-keys
  for k; do
    if [ "${k#!}" = "$k" ]; then ok "$b: ${when}$k is registered" has "$b-$step" "$k"
    else ok "$b: ${when}${k#!} is not registered" hasnt "$b-$step" "${k#!}"; fi
  done
}
# reservation BUILD STEP DEV WHEN KEY TYPE: read the reservation (kept as BUILD-STEP): KEY holds it, of TYPE
reservation() {
  local b=$1 step=$2 dev=$3 when=${4:+$4 } key=$5 type=$6
  pr "$b" "$step" "$dev" --in --read-reservation
  ok "$b: ${when}the reservation is held by $key" has "$b-$step" "Key=$key"
  ok "$b: ${when}the reservation is $type" has "$b-$step" "$type"
}
dbroot() { cat /sys/kernel/config/target/dbroot; }
# aptpl_has DIR REGEX: some APTPL file in DIR holds a line matching REGEX (LIO writes keys in decimal: 0xb2 = 178)
aptpl_has() { cat "$1"/aptpl_* 2>/dev/null | grep -Eq "$2"; }
# read_block DEV: READ(10) of block 0 straight through SG_IO (an Exclusive Access - Registrants Only reservation
# refuses it to a non-registrant: status RESERVATION CONFLICT, sg_raw exits non-zero)
read_block() { sg_raw -r 512 "$1" 28 00 00 00 00 00 00 00 01 00 2>&1 | grep -i -E 'status|conflict'; return "${PIPESTATUS[0]}"; }
# clear_ua DEV: consume pending unit attentions (reservations released/preempted, nexus loss) as an initiator's
# SCSI layer does, so the next command gets a real answer
clear_ua() { local i; for i in 1 2 3 4; do sg_turs "$1" >/dev/null 2>&1 && return 0; done; return 1; }
# ua BUILD STEP DEV: the unit attention waiting for DEV, kept as an answer too (compared between builds)
ua() { local out; out=$(sg_turs -v "$3" 2>&1); printf '%s\n' "$out" | grep -i -E 'sense|attention|ready' > "$T/$1-$2.txt"; clear_ua "$3"; }
# recovered: both sessions logged in again after the target came back (iscsid's own recovery, same ISIDs)
recovered() {
  local i; for i in $(seq 120); do
    [ "$(iscsiadm -m session -P 1 2>/dev/null | grep -c 'iSCSI Session State: LOGGED_IN')" = 2 ] &&
      clear_ua "$DEV_A" && clear_ua "$DEV_B" && return 0
    sleep 1
  done; iscsiadm -m session -P 1; return 1
}

# scenario BUILD START... : the whole sequence; the target is started by START and stopped/started by up/down
scenario() {
  local b=$1
  ok "$b: discovery on both ifaces, CHAP per initiator" discover_both
  ok "$b: both initiators log in, 8 disks" login_both
  ok "$b: A registers key 0xa1 (APTPL)" pr "$b" reg-a "$DEV_A" --out --register --param-sark=0xa1 --param-aptpl
  ok "$b: B registers key 0xb2 (APTPL)" pr "$b" reg-b "$DEV_B" --out --register --param-sark=0xb2 --param-aptpl
  keys "$b" keys-1 "$DEV_A" "" 0xa1 0xb2
  ok "$b: A reserves Write Exclusive, registrants only" pr "$b" reserve-we-ro "$DEV_A" --out --reserve --param-rk=0xa1 --prout-type=5
  reservation "$b" resv-1 "$DEV_B" "" 0xa1 'Write Exclusive, registrants only'
  ok "$b: B (registrant) may still read" read_block "$DEV_B"
  ok "$b: A (registered) may read" read_block "$DEV_A"
  ok "$b: A releases" pr "$b" release-a "$DEV_A" --out --release --param-rk=0xa1 --prout-type=5
  ok "$b: B is told (unit attention)" ua "$b" ua-release "$DEV_B"
  pr "$b" resv-2 "$DEV_A" --in --read-reservation
  ok "$b: no reservation after the release" has "$b-resv-2" 'there is NO reservation'
  ok "$b: A reserves Exclusive Access, registrants only" pr "$b" reserve-ea-ro "$DEV_A" --out --reserve --param-rk=0xa1 --prout-type=6
  ok "$b: B preempts A (0xa1) and takes Exclusive Access, registrants only" \
    pr "$b" preempt-b "$DEV_B" --out --preempt --param-rk=0xb2 --param-sark=0xa1 --prout-type=6
  ok "$b: A is told (unit attention)" ua "$b" ua-preempt "$DEV_A"
  keys "$b" keys-2 "$DEV_B" "after the preemption" 0xb2 '!0xa1'
  reservation "$b" resv-3 "$DEV_B" "" 0xb2 'Exclusive Access, registrants only'
  fails "$b: A, no longer registered, is refused a read (reservation conflict)" read_block "$DEV_A"
  ok "$b: B reads" read_block "$DEV_B"
  pr "$b" full-1 "$DEV_B" --in --read-full-status
  ok "$b: APTPL file with the registration written in $(dbroot)/pr" aptpl_has "$(dbroot)/pr" 'sa_res_key=178'
  local f; for f in "$(dbroot)"/pr/aptpl_*; do [ -e "$f" ] && cp "$f" "$T/$b-${f##*/}.txt"; done
  ok "$b: target stop (sessions live)" down
  ok "$b: target start again" up
  ok "$b: both sessions recover" recovered
  keys "$b" keys-3 "$DEV_A" "after stop + start" 0xb2 '!0xa1'
  reservation "$b" resv-4 "$DEV_A" "after stop + start" 0xb2 'Exclusive Access, registrants only'
  pr "$b" full-2 "$DEV_B" --in --read-full-status
  fails "$b: A is still refused a read" read_block "$DEV_A"
  ok "$b: B, the restored holder, releases" pr "$b" release-b "$DEV_B" --out --release --param-rk=0xb2 --prout-type=6
  pr "$b" resv-5 "$DEV_B" --in --read-reservation
  ok "$b: no reservation after the release" has "$b-resv-5" 'there is NO reservation'
  ok "$b: B clears its registration" pr "$b" clear-b "$DEV_B" --out --clear --param-rk=0xb2
  pr "$b" keys-4 "$DEV_B" --in --read-keys
  ok "$b: no key left" has "$b-keys-4" 'there are NO registered reservation keys'
  ok "$b: logout" logout_both
  ok "$b: target stop" down
}
links_into() { local f n=0; for f in "$1"/aptpl_*; do [ "$(readlink "$f")" = "$2${f##*/}" ] || return 1; n=$((n+1)); done; [ $n -gt 0 ]; }
clean_pr() { rm -rf /etc/rtslib-fb-target/pr /var/target/pr /srv/nodeB /srv/group-pr; }

# --- A. the agent-built target ------------------------------------------------------------------------------
up() { agent target start iqn="$IQN" config="$CFG"; }
down() { agent target stop iqn="$IQN" config="$CFG"; }
ok "no PR state yet" clean_pr
ok "agent start" up
ok "agent set dbroot to rtslib's /etc/rtslib-fb-target" test "$(dbroot)" = /etc/rtslib-fb-target
ok "agent made <dbroot>/pr" test -d /etc/rtslib-fb-target/pr
scenario agent

# --- B. the targetctl-built target of the same file -----------------------------------------------------------
up() { targetctl restore "$CFG"; }
down() { targetctl clear; }
ok "no PR state left by the agent run" clean_pr
ok "targetctl's pr/ (rtslib makes none)" mkdir -p /etc/rtslib-fb-target/pr
ok "targetctl restore" up
scenario targetctl
ok "nothing left" lab_lio_empty

# --- C. switchover model: pr_dir on the group's storage, two dbroots standing for two nodes ----------------------
ok "no PR state" clean_pr
ok "the group's storage (pr_dir) exists" mkdir -p /srv/group-pr
b=switch
ok "$b: node A start (dbroot /etc/rtslib-fb-target, pr_dir /srv/group-pr)" agent target start iqn="$IQN" config="$CFG" pr_dir=/srv/group-pr
ok "$b: <dbroot>/pr/aptpl_* link into pr_dir" links_into /etc/rtslib-fb-target/pr /srv/group-pr/
ok "$b: discovery on both ifaces" discover_both
ok "$b: both initiators log in" login_both
ok "$b: B registers 0xb2 (APTPL)" pr "$b" reg-b "$DEV_B" --out --register --param-sark=0xb2 --param-aptpl
ok "$b: B reserves Exclusive Access, registrants only" pr "$b" reserve-b "$DEV_B" --out --reserve --param-rk=0xb2 --prout-type=6
ok "$b: the reservation landed in pr_dir" aptpl_has /srv/group-pr 'res_holder=1'
fails "$b: A, not registered, is refused a read on node A" read_block "$DEV_A"
ok "$b: node A stop (sessions live)" agent target stop iqn="$IQN" config="$CFG" pr_dir=/srv/group-pr
ok "$b: node B start (empty dbroot /srv/nodeB, same pr_dir)" agent target start iqn="$IQN" config="$CFG" pr_dir=/srv/group-pr dbroot=/srv/nodeB
ok "$b: dbroot is node B's" test "$(dbroot)" = /srv/nodeB
ok "$b: both sessions recover on node B" recovered
reservation "$b" resv-b "$DEV_A" "on node B" 0xb2 'Exclusive Access, registrants only'
fails "$b: on node B, A (not registered) is refused a read" read_block "$DEV_A"
ok "$b: on node B, B (the holder) reads" read_block "$DEV_B"
ok "$b: on node B, B releases" pr "$b" release-b "$DEV_B" --out --release --param-rk=0xb2 --prout-type=6
ok "$b: logout" logout_both
ok "$b: node B stop" agent target stop iqn="$IQN" config="$CFG" pr_dir=/srv/group-pr dbroot=/srv/nodeB
ok "nothing left" lab_lio_empty
finish
