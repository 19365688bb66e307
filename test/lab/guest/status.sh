# `lioha status` checks for lab tests (sourced after lib.sh), for the two-node lab: call them on each node
# before and after a switchover.
#   lab_status_snapshot FILE            lioha status --json into FILE; its wall time is metric status_ms
#                                       (the bound: under 1 s on a live two-node lab); prints the text view too
#   lab_status_expect FILE GROUP NODE [INITIATOR]
#                                       GROUP runs on NODE; on that node DRBD is Primary/UpToDate, every
#                                       enabled portal listens and INITIATOR (if given) has a logged-in session;
#                                       on the other node no target is enabled
# Example (60-pacemaker style):
#   ok "status before the switchover" lab_status_snapshot "$T/status-before.json"
#   ok "status shows g_tgt on node1 with the session" lab_status_expect "$T/status-before.json" g_tgt node1 iqn.2016-09.com.example:lab-initiator
LAB_LIOHA="$LAB_REPO/dist/bin/lioha"
lab_status_snapshot() {
  local s; s=$(now_ms)
  "$LAB_LIOHA" status --json > "$1"; local rc=$?
  metric status_ms $(( $(now_ms) - s )) ms
  "$LAB_LIOHA" status || true
  # 0 OK, 1 DEGRADED (e.g. resync after a failover): both are a readable report; 2/3 are not what a test expects here.
  [ "$rc" -le 1 ]
}
lab_status_expect() {
  node -e '
const [file, group, want, ini] = process.argv.slice(1);
const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
const fail = (m) => { console.error(`lab_status_expect: ${m}`); process.exit(1); };
const g = r.groups.find((x) => x.id === group);
if (!g) fail(`no group ${group}`);
if (g.node !== want) fail(`${group} runs on ${g.node ?? "no node"}, want ${want}`);
if (r.node === want) {
  if (!r.drbd.devices.length || !r.drbd.devices.every((d) => d.role === "Primary" && d.disk === "UpToDate")) fail("DRBD is not Primary/UpToDate here");
  const tpgs = r.targets.flatMap((t) => t.tpgs).filter((t) => t.enabled);
  if (!tpgs.length) fail("no enabled TPG here");
  if (tpgs.some((t) => t.portals.some((p) => !p.listening))) fail("a portal is not listening");
  if (ini && !tpgs.some((t) => t.acls.some((a) => a.initiator === ini && a.loggedIn))) fail(`${ini} has no session here`);
} else if (r.targets.some((t) => t.tpgs.some((x) => x.enabled))) fail("a TPG is enabled on the passive node");
console.log(`lab_status_expect: ${group} on ${want}, verdict ${r.verdict}`);
' "$@"
}
