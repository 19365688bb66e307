#!/bin/bash
# DRBD counters on the real kernel: `lioha stats` shows replication traffic move when the Primary writes
# (ns on r0, nr on the peer r1, dw on both), out-of-sync data while the peer is disconnected, and the
# resync bringing it back to 0; `lioha status` turns DEGRADED while the peer is away.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/drbd.sh"
LIOHA="$LAB_REPO/dist/bin/lioha"
MiB=1048576
value() { awk -v m="$1" -v want="$2" 'BEGIN{n=split(want,w,",")} $1 ~ "^"m"[{ ]" { ok=1; for(i=1;i<=n;i++) if (index($1, w[i])==0) ok=0; if (ok) { print $2; exit } }' "$3"; }
snap() { "$LIOHA" stats > "$T/$1.prom"; }
delta() { echo $(( $(value "$1" "$2" "$T/$4.prom") - $(value "$1" "$2" "$T/$3.prom") )); }
ok "labvg with DRBD backing LVs" lab_vg
ok "two DRBD 8.4 resources connected and in sync" lab_drbd_up
ok "stats before" snap before
ok "the resource names come from /etc/drbd.d" test "$(value lioha_drbd_primary 'resource="r0"' "$T/before.prom")" = 1
ok "write 8 MiB through the Primary r0" dd if=/dev/urandom of=/dev/drbd0 bs=1M count=8 oflag=direct conv=fsync status=none
ok "stats after the write" snap after
ns=$(delta lioha_drbd_network_sent_bytes_total 'resource="r0"' before after)
nr=$(delta lioha_drbd_network_received_bytes_total 'resource="r1"' before after)
dw0=$(delta lioha_drbd_disk_written_bytes_total 'resource="r0"' before after)
dw1=$(delta lioha_drbd_disk_written_bytes_total 'resource="r1"' before after)
metric drbd_ns_delta_mib $((ns / MiB)) MiB; metric drbd_nr_delta_mib $((nr / MiB)) MiB
ok "r0 sent at least 8 MiB to its peer ($ns)" test "$ns" -ge $((8 * MiB))
ok "r1 received at least 8 MiB ($nr)" test "$nr" -ge $((8 * MiB))
ok "both sides wrote at least 8 MiB to disk ($dw0, $dw1)" test "$dw0" -ge $((8 * MiB)) -a "$dw1" -ge $((8 * MiB))
ok "the activity log was updated" test "$(delta lioha_drbd_activity_log_updates_total 'resource="r0"' before after)" -ge 1
ok "disconnect the peer r1" drbdadm disconnect r1
ok "write 4 MiB while the peer is away" dd if=/dev/urandom of=/dev/drbd0 bs=1M count=4 oflag=direct conv=fsync status=none
ok "stats while disconnected" snap away
oos=$(value lioha_drbd_out_of_sync_bytes 'resource="r0"' "$T/away.prom")
metric drbd_oos_away_mib $((oos / MiB)) MiB
ok "r0 has at least 4 MiB out of sync ($oos)" test "$oos" -ge $((4 * MiB))
ok "r0 is not connected" test "$(value lioha_drbd_connected 'resource="r0"' "$T/away.prom")" = 0
ok "lioha status --json sees the out-of-sync data" sh -c "'$LIOHA' status --json > '$T/status-away.json'; node -e '
const r = JSON.parse(require(\"fs\").readFileSync(process.argv[1], \"utf8\"));
process.exit(r.findings.some((f) => /DRBD r0 .*(not replicating|out of sync)/.test(f.text)) ? 0 : 1);' '$T/status-away.json'"
ok "reconnect r1" drbdadm connect r1
ok "the resync completes" lab_drbd_wait_sync
ok "stats after the resync" snap synced
ok "no data out of sync after the resync" test "$(value lioha_drbd_out_of_sync_bytes 'resource="r0"' "$T/synced.prom")" = 0
ok "r0 sent the resync data ($(delta lioha_drbd_network_sent_bytes_total 'resource="r0"' away synced))" test "$(delta lioha_drbd_network_sent_bytes_total 'resource="r0"' away synced)" -ge $((4 * MiB))
finish
