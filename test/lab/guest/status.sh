# `lioha status` checks for the lab guests: the one-VM lab (sourced after lib.sh) and the two-node cluster lab
# (sourced after test/lab/cluster/guest/node.sh). Self-contained: it needs bash, date, node and the built lioha.
#
#   lab_status_snapshot FILE [lioha status options...]
#       One `lioha status --json` (one crm_mon call) into FILE, and its wall time: printed as
#       "status_ms=N" (and `metric status_ms` when lib.sh's metric is there), with "node_ms=N" for
#       `env -i node -e 0` in the same guest right after, so a TCG figure can be scaled. The text view
#       goes to FILE.txt (a second run) and to stdout. Fails when the exit code is 2 or 3 (FAILED, or the
#       node could not be read); 0 OK and 1 DEGRADED are readable reports. LAB_STATUS_MAX_MS=N also
#       fails it when the JSON run took longer than N ms.
#
#   lab_status_expect FILE GROUP NODE [--peer-absent] [INITIATOR[=N]]...
#       Checks a snapshot taken on either node (the report says which node it is) against:
#       - everywhere: GROUP runs on NODE, every member Started there, none failed; verdict not FAILED;
#       - on NODE (active): every DRBD device Primary, disk UpToDate, peer Secondary/UpToDate and connected;
#         at least one enabled TPG; every portal of an enabled TPG listening; each INITIATOR logged in
#         (with exactly N connections when =N is given; =0: not logged in);
#       - on the other node (passive): every DRBD device Secondary, disk UpToDate, peer Primary/UpToDate and
#         connected; no TPG enabled; no initiator logged in, none of the INITIATORs either.
#       --peer-absent: the peer is down (after a power-off): its role, disk and the connection are not checked.
#       Prints one line that says what it saw.
#
# The cluster lab (test/lab/cluster/run.ts), before and after a switchover from labA to labB, e.g.:
#   const ini = 'iqn.2016-09.com.example:lab-initiator';   // the initiator's name in the lab's saveconfig.json
#   for (const v of [A, B]) await v.sh(`. "$LAB_REPO/test/lab/guest/status.sh"
#     lab_status_snapshot /lab/out/status-before.json && lab_status_expect /lab/out/status-before.json g_tgt labA ${ini}=1`);
#   ... switchover ...
#   for (const v of [A, B]) await v.sh(`. "$LAB_REPO/test/lab/guest/status.sh"
#     lab_status_snapshot /lab/out/status-after.json && lab_status_expect /lab/out/status-after.json g_tgt labB ${ini}=1`);
LAB_LIOHA=${LAB_LIOHA:-$LAB_REPO/dist/bin/lioha}

_lab_status_now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

lab_status_snapshot() {
  local file=$1; shift
  local s rc ms node_ms
  s=$(_lab_status_now_ms)
  "$LAB_LIOHA" status --json "$@" > "$file"; rc=$?
  ms=$(( $(_lab_status_now_ms) - s ))
  s=$(_lab_status_now_ms)
  env -i "$(command -v node)" -e 0  # by its path: env -i searches only /bin:/usr/bin, and setup.sh may put node in /usr/local/bin
  node_ms=$(( $(_lab_status_now_ms) - s ))
  echo "status_ms=$ms node_ms=$node_ms rc=$rc"
  if declare -F metric >/dev/null; then metric status_ms "$ms" ms; fi
  "$LAB_LIOHA" status "$@" > "$file.txt" 2>&1
  cat "$file.txt"
  if [ "$rc" -gt 1 ]; then echo "lab_status_snapshot: lioha status exited $rc" >&2; return 1; fi
  if [ -n "${LAB_STATUS_MAX_MS-}" ] && [ "$ms" -gt "$LAB_STATUS_MAX_MS" ]; then
    echo "lab_status_snapshot: lioha status took $ms ms, more than $LAB_STATUS_MAX_MS" >&2; return 1
  fi
}

lab_status_expect() {
  node -e '
"use strict";
const [file, group, want, ...rest] = process.argv.slice(1);
const peerAbsent = rest.includes("--peer-absent");
const inis = rest.filter((a) => a !== "--peer-absent").map((a) => {
  const m = /^(.+?)(?:=(\d+))?$/.exec(a);
  return { name: m[1], connections: m[2] === undefined ? undefined : Number(m[2]) };
});
const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
const bad = [];
const CONNECTED = new Set(["Connected", "SyncSource", "SyncTarget", "Established"]);
if (r.verdict === "FAILED") bad.push(`verdict FAILED: ${r.reason}`);
const g = (r.groups || []).find((x) => x.id === group);
if (!g) bad.push(`no group ${group} in the report (${r.clusterError || "crm_mon answered"})`);
else {
  if (g.node !== want) bad.push(`${group} runs on ${g.node || "no node"}, want ${want}`);
  for (const m of g.members) {
    if (m.failed) bad.push(`${m.id} failed`);
    else if (m.role !== "Started" || m.node !== want) bad.push(`${m.id} is ${m.role} on ${m.node || "no node"}, want Started on ${want}`);
  }
}
const active = r.node === want;
const devs = r.drbd.devices;
if (!devs.length) bad.push("no DRBD device in /proc/drbd");
for (const d of devs) {
  const name = d.resource || `minor ${d.minor}`;
  const role = active ? "Primary" : "Secondary", peer = active ? "Secondary" : "Primary";
  if (d.role !== role) bad.push(`DRBD ${name} is ${d.role} here, want ${role}`);
  if (d.disk !== "UpToDate") bad.push(`DRBD ${name} disk is ${d.disk}`);
  if (!peerAbsent) {
    if (d.peerRole !== peer) bad.push(`DRBD ${name} peer is ${d.peerRole}, want ${peer}`);
    if (d.peerDisk !== "UpToDate") bad.push(`DRBD ${name} peer disk is ${d.peerDisk}`);
    if (!CONNECTED.has(d.connection)) bad.push(`DRBD ${name} is ${d.connection}`);
  }
}
const tpgs = r.targets.flatMap((t) => t.tpgs.map((x) => ({ ...x, wwn: t.wwn })));
const enabled = tpgs.filter((t) => t.enabled);
const sessions = new Map();
for (const t of tpgs) {
  for (const a of t.acls) if (a.loggedIn) sessions.set(a.initiator, (sessions.get(a.initiator) || 0) + a.connections.length);
  for (const i of t.dynamicSessions) sessions.set(i, Math.max(1, sessions.get(i) || 0));
}
if (active) {
  if (!enabled.length) bad.push("no enabled TPG on the active node");
  for (const t of enabled) for (const p of t.portals) if (!p.listening) bad.push(`portal ${p.ip}:${p.port} of ${t.wwn} tpgt_${t.tag} is not listening`);
  for (const i of inis) {
    const n = sessions.get(i.name) || 0;
    if (i.connections === undefined ? n < 1 : n !== i.connections) bad.push(`${i.name} has ${n} connection(s) here, want ${i.connections === undefined ? "a session" : i.connections}`);
  }
} else {
  for (const t of enabled) bad.push(`${t.wwn} tpgt_${t.tag} is enabled on the passive node`);
  for (const [i, n] of sessions) bad.push(`${i} is logged in on the passive node (${n} connection(s))`);
}
const seen = `${r.node} ${active ? "active" : "passive"}: ${group} on ${g ? g.node || "no node" : "?"}; ` +
  `DRBD ${devs.map((d) => `${d.resource || d.minor} ${d.role}/${d.peerRole} ${d.disk}/${d.peerDisk} ${d.connection}`).join(", ") || "none"}; ` +
  `sessions ${[...sessions].map(([i, n]) => `${i}=${n}`).join(", ") || "none"}; verdict ${r.verdict}`;
if (bad.length) { console.error(`lab_status_expect FAILED (${seen}):\n  ${bad.join("\n  ")}`); process.exit(1); }
console.log(`lab_status_expect: ${seen}`);
' "$@"
}
