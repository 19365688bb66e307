/** `lioha status` as text: the verdict first, then groups, DRBD, targets. Pure. */
import { type StatusReport, vgLvOf } from './report.js';

const bytes = (n: number | undefined) =>
  n === undefined ? '?' : n >= 1073741824 ? `${(n / 1073741824).toFixed(2)} GiB` : n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
const hms = (s: number) => `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;

export function renderStatus(r: StatusReport): string {
  const out: string[] = [`${r.verdict}: ${r.reason}`];
  for (const f of r.findings.slice(1)) out.push(`  ${f.level === 'FAILED' ? '!!' : '! '} ${f.text}`);
  out.push('');
  if (r.cluster) out.push(`cluster (this node ${r.node}): ${r.cluster.nodes.map((n) => `${n.name} ${n.state}`).join(', ') || 'no nodes'}`);
  else out.push(`cluster: unknown (${r.clusterError ?? 'crm_mon failed'})`);
  for (const g of r.groups) {
    out.push(`group ${g.id}: ${g.node ? `on ${g.node}` : 'NOT RUNNING'}`);
    out.push(`  ${g.members.map((m) => `${m.id} ${m.failed ? 'FAILED' : m.role}${m.node && m.node !== g.node ? `@${m.node}` : ''}`).join(', ')}`);
    for (const f of g.failures) out.push(`  failed: ${f.resource} ${f.operation} on ${f.node}: ${f.exitStatus} (${f.exitCode})${f.reason ? ` "${f.reason}"` : ''} ${f.when}`);
    for (const f of g.failCounts) out.push(`  fail count: ${f.resource} on ${f.node} = ${f.count}`);
    for (const b of g.bans) out.push(`  leftover ban ${b.id} (node ${b.node}): ${b.fix}`);
  }
  if (!r.drbd.loaded) out.push('drbd: module not loaded (/proc/drbd absent)');
  for (const d of r.drbd.devices) {
    let line = `drbd ${d.resource ?? '?'} (minor ${d.minor}): ${d.role}/${d.peerRole ?? 'Unknown'} ${d.disk}/${d.peerDisk ?? 'DUnknown'} ${d.connection ?? 'StandAlone'}`;
    line += `, out of sync ${bytes(d.counters.outOfSyncBytes ?? 0)}`;
    if (d.resync) {
      line += `; ${d.resync.kind} ${d.resync.percent}%`;
      if (d.resync.remainingBytes !== undefined) line += `, ${bytes(d.resync.remainingBytes)} left`;
      if (d.resync.etaSeconds !== undefined) line += `, ETA ${hms(d.resync.etaSeconds)}`;
      if (d.resync.speedBytesPerSecond !== undefined) line += ` at ${bytes(d.resync.speedBytesPerSecond)}/s`;
    }
    out.push(line);
  }
  if (!r.targets.length) out.push('targets: none on this node');
  for (const t of r.targets) {
    for (const tpg of t.tpgs) {
      out.push(`target ${t.wwn} tpgt_${tpg.tag}: ${tpg.enabled ? 'enabled' : 'disabled'}`);
      for (const p of tpg.portals) out.push(`  portal ${p.ip.includes(':') ? `[${p.ip}]` : p.ip}:${p.port} ${p.listening ? 'listening' : 'NOT LISTENING'}`);
      for (const l of tpg.luns) out.push(`  lun_${l.index}: ${l.backstore ?? 'NO DEVICE'}${l.device ? ` (${l.device})` : ''}${l.ddmap ? ` ddmap ${l.ddmap}` : ''}`);
      for (const a of tpg.acls) {
        const conns = a.connections.map((c) => c.address ?? c.state).join(', ');
        out.push(`  acl ${a.initiator}: ${a.loggedIn ? `logged in, ${a.connections.length} connection(s)${conns ? ` from ${conns}` : ''}` : 'no session'}, ${a.mappedLuns} mapped LUN(s)`);
      }
      for (const s of tpg.dynamicSessions) out.push(`  session ${s} (no ACL: generate_node_acls)`);
    }
  }
  const lunDevices = new Set(r.targets.flatMap((t) => t.tpgs.flatMap((tpg) => tpg.luns.filter((l) => l.ddmap).map((l) => l.device))));
  for (const d of r.ddmap) {
    const shown = [...lunDevices].some((dev) => { const vl = vgLvOf(dev); return vl?.vg === d.vg && vl.lv === d.lv; });
    if (!shown) out.push(`ddmap ${d.vg}/${d.lv}: ${d.state ?? 'unreadable'}`);
  }
  return out.join('\n') + '\n';
}
