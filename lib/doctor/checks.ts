/**
 * `lioha doctor`: a preflight of one node, the things the seed learned the hard
 * way. Every check reads files under the root (like the agents' LIOHA_ROOT);
 * only the Node.js version (running the interpreter the agents will use) and
 * the optional --peer checksum (ssh) spawn. Each finding names its fix.
 * `fail` means a failover would break; `warn` deserves a look.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { filterAccepts, parseLvmConf, type LvmValue } from './lvm-conf.js';
import { parseDrbdConf } from './drbd-conf.js';

export type Level = 'ok' | 'warn' | 'fail';
export interface Finding { check: string; level: Level; text: string; fix?: string }

export interface DoctorOptions {
  root: string;
  /** VGs the cluster runs on DRBD (vg agent's vgname). */
  vgs: readonly string[];
  vgAccessMode: 'system_id' | 'tagging';
  /** Whether /etc/ha.d/noreboot belongs on this node (undefined: only report). */
  noreboot?: boolean;
  /** A copy of the peer's saveconfig.json to compare with ours. */
  compare?: string;
  /** The peer's checksum, when fetched over ssh by the caller. */
  peerChecksum?: { host: string; sha256?: string; error?: string };
  saveconfig: string;
  /** `node --version` of the interpreter the agents' shebang finds (run by the caller). */
  nodeVersion?: { path?: string; version?: string; error?: string };
}

export const REQUIRED_MODULES = ['configfs', 'target_core_mod', 'iscsi_target_mod', 'target_core_iblock', 'drbd', 'dm_mod'] as const;
/** The PATH Pacemaker's executor gives agents (and the shebang's `env node` searches). */
export const AGENT_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
export const MIN_NODE = [20, 5] as const;

const under = (root: string, abs: string) => (root === '/' ? abs : join(root, abs));
function read(root: string, abs: string): string | undefined {
  try {
    return readFileSync(under(root, abs), 'utf8');
  } catch {
    return undefined;
  }
}

/** Modules loaded (/sys/module) or at least installed for the running kernel (modules.dep, modules.builtin). */
export function checkModules(root: string): Finding[] {
  const release = read(root, '/proc/sys/kernel/osrelease')?.trim();
  const dep = release ? `${read(root, `/lib/modules/${release}/modules.dep`) ?? ''}\n${read(root, `/lib/modules/${release}/modules.builtin`) ?? ''}` : '';
  const out: Finding[] = [];
  const missing: string[] = [];
  const notLoaded: string[] = [];
  for (const m of REQUIRED_MODULES) {
    if (existsSync(under(root, `/sys/module/${m}`))) continue;
    const file = new RegExp(`(^|/)${m.replace(/_/g, '[_-]')}\\.ko(\\.[a-z]+)?:?`, 'm');
    if (file.test(dep)) notLoaded.push(m);
    else missing.push(m);
  }
  if (missing.length) {
    out.push({
      check: 'kernel-modules', level: 'fail',
      text: `not available for kernel ${release ?? '(unknown)'}: ${missing.join(', ')}`,
      fix: `install the modules for the running kernel (Debian: linux-image-${release ?? '$(uname -r)'}; drbd needs the drbd module or drbd-dkms), then modprobe ${missing.join(' ')}`,
    });
  }
  if (notLoaded.length) {
    out.push({
      check: 'kernel-modules', level: 'warn',
      text: `installed but not loaded: ${notLoaded.join(', ')}`,
      fix: `modprobe ${notLoaded.join(' ')}; list them in /etc/modules-load.d/lioha.conf so they are there after a reboot`,
    });
  }
  if (!out.length) out.push({ check: 'kernel-modules', level: 'ok', text: `loaded: ${REQUIRED_MODULES.join(', ')}` });
  return out;
}

/** The interpreter `#!/usr/bin/env node` finds on Pacemaker's PATH, and its version. */
export function findAgentNode(root: string): string | undefined {
  for (const d of AGENT_PATH) {
    const p = `${d}/node`;
    try {
      if (statSync(under(root, p)).mode & 0o111) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function checkNode(o: DoctorOptions): Finding[] {
  const agents = '/usr/lib/ocf/resource.d/lioha';
  const out: Finding[] = [];
  let installed: string[] = [];
  try {
    installed = readdirSync(under(o.root, agents));
  } catch {
    out.push({ check: 'agents', level: 'fail', text: `no agents in ${agents}`, fix: 'install the lioha package (.deb/.rpm) on every node' });
  }
  if (installed.length) out.push({ check: 'agents', level: 'ok', text: `${agents}: ${installed.sort().join(', ')}` });
  const nv = o.nodeVersion;
  if (!nv?.path) {
    out.push({ check: 'nodejs', level: 'fail', text: `no node on Pacemaker's PATH (${AGENT_PATH.join(':')}): every agent action would fail with 127`, fix: 'install Node.js >= 20.5 (Debian: apt install nodejs) or link it to /usr/local/bin/node' });
    return out;
  }
  const m = /^v(\d+)\.(\d+)/.exec(nv.version ?? '');
  if (!m) out.push({ check: 'nodejs', level: 'fail', text: `${nv.path} does not run: ${nv.error ?? nv.version ?? 'no version'}`, fix: `reinstall Node.js (>= ${MIN_NODE.join('.')}) at ${nv.path}` });
  else if (Number(m[1]) < MIN_NODE[0] || (Number(m[1]) === MIN_NODE[0] && Number(m[2]) < MIN_NODE[1])) {
    out.push({ check: 'nodejs', level: 'fail', text: `${nv.path} is ${nv.version}; the agents need >= ${MIN_NODE.join('.')}`, fix: 'install Node.js 20.5 or newer (NodeSource or Debian 13 nodejs)' });
  } else out.push({ check: 'nodejs', level: 'ok', text: `${nv.path} ${nv.version}` });
  return out;
}

function lvmConfig(root: string): Map<string, LvmValue> {
  const conf = new Map<string, LvmValue>();
  for (const f of ['/etc/lvm/lvm.conf', '/etc/lvm/lvmlocal.conf']) parseLvmConf(read(root, f) ?? '', conf);
  return conf;
}
const list = (v: LvmValue | undefined) => (Array.isArray(v) ? v : undefined);

export function checkLvm(o: DoctorOptions, drbdDisks: readonly string[]): Finding[] {
  const out: Finding[] = [];
  if (read(o.root, '/etc/lvm/lvm.conf') === undefined) {
    return [{ check: 'lvm', level: 'fail', text: 'no /etc/lvm/lvm.conf', fix: 'install lvm2' }];
  }
  const c = lvmConfig(o.root);
  // Boot-time auto-activation: without auto_activation_volume_list every VG is activated, including the DRBD one.
  const auto = list(c.get('activation/auto_activation_volume_list'));
  for (const vg of o.vgs) {
    const activated = auto === undefined || auto.some((e) => e === vg || e.startsWith(`${vg}/`) || e === '@*');
    if (activated) {
      out.push({
        check: 'vg-autoactivation', level: 'fail',
        text: `VG ${vg} is auto-activated at boot (activation/auto_activation_volume_list ${auto === undefined ? 'is not set' : `contains it: ${JSON.stringify(auto)}`}): it may come up on a node that is not Primary, or on the backing disk`,
        fix: `in /etc/lvm/lvm.conf set activation { auto_activation_volume_list = [ <the root VG only> ] } (the seed ran vgchange -an ${vg} at boot instead)`,
      });
    } else out.push({ check: 'vg-autoactivation', level: 'ok', text: `VG ${vg} is not auto-activated at boot` });
  }
  // Filter: LVM must see the PV through /dev/drbd* only, never through the backing disk.
  const rules = list(c.get('devices/global_filter')) ?? list(c.get('devices/filter'));
  const which = c.has('devices/global_filter') ? 'global_filter' : 'filter';
  if (!rules) {
    out.push({
      check: 'lvm-filter', level: 'fail',
      text: 'no devices/global_filter: LVM scans the DRBD backing disks too and sees every PV twice (or activates the VG on the stale backing disk)',
      fix: 'in /etc/lvm/lvm.conf set devices { global_filter = [ "a|^/dev/drbd[0-9]+$|", "a|<the root PV>|", "r|.*|" ] }',
    });
  } else {
    const problems: string[] = [];
    if (!filterAccepts(rules, '/dev/drbd0')) problems.push('rejects /dev/drbd0');
    for (const d of drbdDisks) if (filterAccepts(rules, d)) problems.push(`accepts the DRBD backing disk ${d}`);
    if (problems.length) {
      out.push({ check: 'lvm-filter', level: 'fail', text: `devices/${which} ${JSON.stringify(rules)} ${problems.join(' and ')}`, fix: `accept /dev/drbd* and the root PV only: ${which} = [ "a|^/dev/drbd[0-9]+$|", "a|<the root PV>|", "r|.*|" ]` });
    } else out.push({ check: 'lvm-filter', level: 'ok', text: `devices/${which} accepts /dev/drbd* and none of the backing disks (${drbdDisks.join(', ') || 'none configured'})` });
  }
  const source = c.get('global/system_id_source');
  if (o.vgAccessMode === 'system_id') {
    if (source === undefined || source === 'none') {
      out.push({ check: 'lvm-system-id', level: 'fail', text: `global/system_id_source is ${source ?? 'not set (none)'}, but the vg agent's vg_access_mode=system_id needs a system ID on every node`, fix: 'in /etc/lvm/lvm.conf set global { system_id_source = "uname" } on both nodes' });
    } else out.push({ check: 'lvm-system-id', level: 'ok', text: `global/system_id_source = ${String(source)}` });
  } else if (!list(c.get('activation/volume_list'))) {
    out.push({ check: 'lvm-system-id', level: 'warn', text: 'vg_access_mode=tagging without activation/volume_list: nothing stops a manual vgchange -ay on the passive node', fix: 'set activation { volume_list = [ <root VG>, "@<this node\'s name>" ] }' });
  }
  return out;
}

export function drbdResources(root: string): ReturnType<typeof parseDrbdConf> {
  let text = read(root, '/etc/drbd.conf') ?? '';
  try {
    for (const f of readdirSync(under(root, '/etc/drbd.d')).sort()) if (f.endsWith('.res') || f.endsWith('.conf')) text += `\n${read(root, `/etc/drbd.d/${f}`) ?? ''}`;
  } catch {
    /* no drbd.d */
  }
  return parseDrbdConf(text);
}

export function checkDrbd(root: string, resources: ReturnType<typeof parseDrbdConf>): Finding[] {
  if (!resources.length) return [{ check: 'drbd-fencing', level: 'fail', text: 'no DRBD resource in /etc/drbd.conf or /etc/drbd.d/*.res', fix: 'configure the replicated resource on both nodes (drbd-utils)' }];
  const out: Finding[] = [];
  for (const r of resources) {
    const problems: string[] = [];
    const fixes: string[] = [];
    if (r.fencing !== 'resource-only' && r.fencing !== 'resource-and-stonith') {
      problems.push(`fencing is ${r.fencing ?? 'not set'}`);
      fixes.push('fencing resource-only; (8.4: in disk {}, 9: in net {})');
    }
    const fence = r.handlers['fence-peer'];
    if (!fence || !/crm-fence-peer(\.9)?\.sh/.test(fence)) {
      problems.push(`fence-peer handler is ${fence ? JSON.stringify(fence) : 'missing'}`);
      fixes.push('handlers { fence-peer "/usr/lib/drbd/crm-fence-peer.sh"; }');
    } else {
      const script = fence.split(/\s+/)[0]!;
      if (!existsSync(under(root, script))) { problems.push(`${script} does not exist`); fixes.push('install drbd-utils (it ships the crm-fence-peer scripts)'); }
    }
    const unfence = r.handlers['after-resync-target'] ?? r.handlers['unfence-peer'];
    if (!unfence || !/crm-unfence-peer(\.9)?\.sh/.test(unfence)) {
      problems.push('no crm-unfence-peer.sh handler: the constraint crm-fence-peer.sh sets stays after the resync');
      fixes.push('handlers { after-resync-target "/usr/lib/drbd/crm-unfence-peer.sh"; } (DRBD 9: unfence-peer "/usr/lib/drbd/crm-unfence-peer.9.sh";)');
    }
    if (problems.length) out.push({ check: 'drbd-fencing', level: 'fail', text: `resource ${r.name}: ${problems.join('; ')}: a Primary could be promoted on outdated data`, fix: fixes.join(' ') });
    else out.push({ check: 'drbd-fencing', level: 'ok', text: `resource ${r.name}: fencing ${r.fencing}, crm-fence-peer/crm-unfence-peer handlers` });
  }
  return out;
}

export function checkNoreboot(o: DoctorOptions): Finding {
  const present = existsSync(under(o.root, '/etc/ha.d/noreboot'));
  const now = present ? 'present: a hung LIO stop returns an error here instead of rebooting the node' : 'absent: a hung LIO stop reboots this node (sysrq) so the peer can take over';
  if (o.noreboot === undefined) return { check: 'noreboot', level: 'ok', text: `/etc/ha.d/noreboot ${now}` };
  if (present === o.noreboot) return { check: 'noreboot', level: 'ok', text: `/etc/ha.d/noreboot ${now}, as intended` };
  return present
    ? { check: 'noreboot', level: 'fail', text: `/etc/ha.d/noreboot is ${now}; not intended on this node, a hung stop would leave the target stuck and block failover`, fix: 'rm /etc/ha.d/noreboot' }
    : { check: 'noreboot', level: 'warn', text: `/etc/ha.d/noreboot is ${now}; intended on this node`, fix: 'touch /etc/ha.d/noreboot' };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function checkSaveconfig(o: DoctorOptions): Finding[] {
  const out: Finding[] = [];
  let mine: Buffer | undefined;
  try {
    mine = readFileSync(under(o.root, o.saveconfig));
  } catch {
    out.push({ check: 'saveconfig', level: 'fail', text: `${o.saveconfig} is missing: the target agent has nothing to start`, fix: `copy it from the active node (scp -p peer:${o.saveconfig} ${o.saveconfig}; mode 0600)` });
  }
  if (mine) {
    const st = statSync(under(o.root, o.saveconfig));
    if (st.mode & 0o077) out.push({ check: 'saveconfig', level: 'warn', text: `${o.saveconfig} is mode ${(st.mode & 0o777).toString(8)} and may hold CHAP secrets`, fix: `chmod 600 ${o.saveconfig}` });
  }
  const compareWith = (label: string, theirs: string) => {
    if (!mine) return;
    const a = sha256(mine);
    if (a === theirs) out.push({ check: 'saveconfig', level: 'ok', text: `${o.saveconfig} identical to ${label} (sha256 ${a.slice(0, 12)})` });
    else out.push({ check: 'saveconfig', level: 'fail', text: `${o.saveconfig} differs from ${label} (sha256 ${a.slice(0, 12)} vs ${theirs.slice(0, 12)}): after a failover the peer would serve another configuration`, fix: `copy the active node's file to the other (scp -p active:${o.saveconfig} ${o.saveconfig}), then compare again` });
  };
  if (o.compare) {
    try {
      compareWith(o.compare, sha256(readFileSync(o.compare)));
    } catch (e) {
      out.push({ check: 'saveconfig', level: 'fail', text: `cannot read ${o.compare}: ${(e as Error).message}`, fix: 'pass a readable copy of the peer\'s saveconfig.json' });
    }
  }
  if (o.peerChecksum) {
    if (o.peerChecksum.sha256) compareWith(`${o.peerChecksum.host}:${o.saveconfig}`, o.peerChecksum.sha256);
    else out.push({ check: 'saveconfig', level: 'warn', text: `no checksum from ${o.peerChecksum.host}: ${o.peerChecksum.error ?? 'no answer'}`, fix: 'check ssh to the peer (BatchMode, key auth) or use --compare FILE' });
  }
  if (mine && !o.compare && !o.peerChecksum) out.push({ check: 'saveconfig', level: 'ok', text: `${o.saveconfig} present (sha256 ${sha256(mine).slice(0, 12)}); compare with the peer: --peer HOST or --compare FILE` });
  return out;
}

/** Leftover `cli-ban` constraints in the CIB on disk (no Pacemaker call). */
export function checkBans(root: string): Finding {
  const cib = read(root, '/var/lib/pacemaker/cib/cib.xml');
  if (cib === undefined) return { check: 'cli-ban', level: 'warn', text: 'no /var/lib/pacemaker/cib/cib.xml: the cluster was never configured on this node', fix: 'set the cluster up (lioha cluster / pcs) first' };
  const bans = [...cib.matchAll(/<rsc_location\b[^>]*\bid="(cli-ban-[^"]*)"[^>]*>/g)].map((m) => ({ id: m[1]!, rsc: /\brsc="([^"]*)"/.exec(m[0])?.[1] ?? '?' }));
  if (!bans.length) return { check: 'cli-ban', level: 'ok', text: 'no leftover cli-ban constraint' };
  return {
    check: 'cli-ban', level: 'fail',
    text: `leftover ${bans.map((b) => b.id).join(', ')}: the resource cannot fail over to the banned node`,
    fix: [...new Set(bans.map((b) => `pcs resource clear ${b.rsc}`))].join('; '),
  };
}

export function runChecks(o: DoctorOptions): Finding[] {
  const resources = drbdResources(o.root);
  return [
    ...checkModules(o.root),
    ...checkNode(o),
    ...checkLvm(o, resources.flatMap((r) => r.disks)),
    ...checkDrbd(o.root, resources),
    checkNoreboot(o),
    ...checkSaveconfig(o),
    checkBans(o.root),
  ];
}

export function renderFindings(f: readonly Finding[]): string {
  const tag: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
  return f.map((x) => `${tag[x.level]} ${x.check}: ${x.text}${x.fix && x.level !== 'ok' ? `\n     fix: ${x.fix}` : ''}`).join('\n') + '\n';
}
