#!/bin/bash
# Statistics on the real kernel (the emulator's statistics files are static templates): the initiator writes
# and reads a known amount through LUN 1, and `lioha stats` shows the per-LUN and per-initiator byte counters
# move by exactly that (LIO counts whole MiB), the session of the initiator, and the command counters moving.
# Also: `lioha status --json` sees the logged-in session from configfs, `lioha stats --walk` logs the real
# statistics subtrees, the munin plugin mode reads the same counters.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/iscsi.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
IQN=iqn.2016-09.com.example:iscsitgt01
INI=iqn.2016-09.com.example:lab-initiator
LIOHA="$LAB_REPO/dist/bin/lioha"
ok "labvg with 4 LUN LVs" lab_vg
ok "LIO modules load" lab_lio_modules
lab_target_config
# write_timeout: under TCG on a loaded host the first configfs mkdir can take seconds.
ok "target agent start" agent target start iqn="$IQN" config="$LAB_TARGET_CFG" write_timeout=30
ok "iscsid started by hand" lab_iscsid
ok "discovery finds the target" lab_discover "$IQN"
lab_node_chap "$IQN" user0 labsecret0pw
ok "login" lab_login "$IQN"
ok "4 LUNs appear as SCSI disks" lab_wait_disks 4
dev=$(lab_disk_for_lun 1)
# value METRIC LABEL-MATCH FILE: the sample of METRIC whose labels contain every LABEL-MATCH (k="v",...)
value() { awk -v m="$1" -v want="$2" 'BEGIN{n=split(want,w,",")} $1 ~ "^"m"[{ ]" { ok=1; for(i=1;i<=n;i++) if (index($1, w[i])==0) ok=0; if (ok) { print $2; exit } }' "$3"; }
lun='target="'$IQN'",tpg="1",lun="1"'
acl='initiator="'$INI'",mapped_lun="1"'
ok "lioha stats before the I/O" sh -c "'$LIOHA' stats > '$T/before.prom'"
ok "write 24 MiB to LUN 1 with O_DIRECT" dd if=/dev/urandom of="$dev" bs=1M count=24 oflag=direct conv=fsync status=none
ok "read 16 MiB from LUN 1 with O_DIRECT" dd if="$dev" of=/dev/null bs=1M count=16 skip=4 iflag=direct status=none
ok "lioha stats after the I/O" sh -c "'$LIOHA' stats > '$T/after.prom'"
delta() { echo $(( $(value "$1" "$2" "$T/after.prom") - $(value "$1" "$2" "$T/before.prom") )); }
MiB=1048576
lw=$(delta lioha_lun_written_bytes_total "$lun"); lr=$(delta lioha_lun_read_bytes_total "$lun")
iw=$(delta lioha_initiator_lun_written_bytes_total "$acl"); ir=$(delta lioha_initiator_lun_read_bytes_total "$acl")
lc=$(delta lioha_lun_commands_total "$lun"); ic=$(delta lioha_initiator_lun_commands_total "$acl")
metric lun_written_delta_mib $((lw / MiB)) MiB; metric lun_read_delta_mib $((lr / MiB)) MiB
metric initiator_written_delta_mib $((iw / MiB)) MiB; metric initiator_read_delta_mib $((ir / MiB)) MiB
metric lun_commands_delta "$lc" commands; metric initiator_commands_delta "$ic" commands
# LIO's counters are byte counters shifted right by 20: a delta of N MiB written shows as N (or N-1/N+1 at a MiB boundary).
within() { [ "$1" -ge $(( ($2 - 1) * MiB )) ] && [ "$1" -le $(( ($2 + 1) * MiB )) ]; }
ok "per-LUN written bytes moved by 24 MiB ($lw)" within "$lw" 24
ok "per-LUN read bytes moved by 16 MiB ($lr)" within "$lr" 16
ok "per-initiator written bytes moved by 24 MiB ($iw)" within "$iw" 24
ok "per-initiator read bytes moved by 16 MiB ($ir)" within "$ir" 16
ok "per-LUN and per-initiator commands moved (>= 40: 24 writes + 16 reads of 1 MiB, split at max_sectors)" test "$lc" -ge 40 -a "$ic" -ge 40
ok "the initiator's session is logged in" test "$(value lioha_iscsi_session_logged_in "initiator=\"$INI\"" "$T/after.prom")" = 1
# rxdata_octs counts Data-Out PDUs only: the immediate data inside each write command (FirstBurstLength,
# 64 KiB here) is not counted (first lab run: 24 MiB - 24 x 64 KiB = 23592960). txdata_octs counts all read data.
rx=$(delta lioha_iscsi_session_received_bytes_total "initiator=\"$INI\"")
tx=$(delta lioha_iscsi_session_sent_bytes_total "initiator=\"$INI\"")
metric session_rx_delta_bytes "$rx" bytes; metric session_tx_delta_bytes "$tx" bytes
ok "the session received the written data less the immediate data ($rx)" test "$rx" -ge $((24 * MiB - 32 * 65536)) -a "$rx" -le $((24 * MiB))
ok "the session sent the read data ($tx)" test "$tx" -ge $((16 * MiB)) -a "$tx" -le $((17 * MiB))
ok "a login was counted" test "$(value lioha_iscsi_logins_total 'result="accepted"' "$T/after.prom")" -ge 1
ok "lioha status --json shows the session per initiator" sh -c "'$LIOHA' status --json --node lab > '$T/status.json'; node -e '
const r = JSON.parse(require(\"fs\").readFileSync(process.argv[1], \"utf8\"));
const acl = r.targets[0].tpgs[0].acls.find((a) => a.initiator === process.argv[2]);
process.exit(acl && acl.loggedIn && acl.connections.length === 1 ? 0 : 1);' '$T/status.json' '$INI'"
ok "lioha stats --walk logs the real statistics" sh -c "'$LIOHA' stats --walk --log-dir /tmp/lio >/dev/null && zcat /tmp/lio/*/lio-statistics-*.gz > '$T/walk.txt' && grep -q 'acls/$INI/lun_1/statistics/scsi_auth_intr/write_mbytes]' '$T/walk.txt'"
ok "munin lio_write shows the same counter (MiB)" sh -c "ln -sf '$LIOHA' /tmp/lio_write && /tmp/lio_write | grep -q 'lun_1.value $(( $(value lioha_lun_written_bytes_total "$lun" "$T/after.prom") / MiB ))\$'"
ok "logout" iscsiadm -m node -T "$IQN" -p 127.0.0.1:3260 --logout
ok "after logout the session is gone from the statistics" sh -c "'$LIOHA' stats | grep -q 'lioha_iscsi_session_logged_in{.*initiator=\"$INI\"} 0'"
ok "target agent stop" agent target stop iqn="$IQN" config="$LAB_TARGET_CFG" write_timeout=30
finish
