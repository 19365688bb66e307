/**
 * Which configured attributes and parameters the running kernel does not have, found before
 * start: from live objects of the same kind on this node when there are any, otherwise from
 * a recorded tree of the same kernel series. Read-only; used by validate-all, so that two
 * nodes with different kernels do not find out at failover.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { ACL_GROUP, ATTRIB_GROUP, CORE_DIR, ISCSI_DIR, PARAM_GROUP, TARGET_ROOT, TPG_PREFIX } from './layout.js';
import { HBA_PLUGIN, type DesiredState } from './model.js';

type Kind = 'so_iblock' | 'so_fileio' | 'so_rd_mcp' | 'so_pscsi' | 'tpg/attrib' | 'tpg/param' | 'acl/attrib' | 'target/param';

export interface KernelReport {
  kernel: string;
  /** "<group>/<name>" of each configured key this kernel lacks, sorted. */
  lacks: string[];
  /** Set when some kinds could not be checked (no live sample, no recording for this kernel). */
  unknown?: string;
}

function list(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

/** Attribute names of a live object of each kind, when one exists on this node. */
function liveSets(base: string): Map<Kind, Set<string>> {
  const out = new Map<Kind, Set<string>>();
  for (const hba of list(join(base, CORE_DIR))) {
    const m = /^([a-z_]+?)_\d+$/.exec(hba);
    if (!m) continue;
    const kind = `so_${m[1]}` as Kind;
    if (out.has(kind)) continue;
    const so = list(join(base, CORE_DIR, hba)).find((n) => n !== 'hba_info' && n !== 'hba_mode');
    if (so) out.set(kind, new Set(list(join(base, CORE_DIR, hba, so, ATTRIB_GROUP))));
  }
  for (const t of list(join(base, ISCSI_DIR))) {
    if (!existsSync(join(base, ISCSI_DIR, t, PARAM_GROUP)) && !list(join(base, ISCSI_DIR, t)).some((x) => x.startsWith(TPG_PREFIX))) continue;
    if (!out.has('target/param') && existsSync(join(base, ISCSI_DIR, t, PARAM_GROUP))) out.set('target/param', new Set(list(join(base, ISCSI_DIR, t, PARAM_GROUP))));
    for (const tpg of list(join(base, ISCSI_DIR, t)).filter((x) => x.startsWith(TPG_PREFIX))) {
      const dir = join(base, ISCSI_DIR, t, tpg);
      if (!out.has('tpg/attrib')) out.set('tpg/attrib', new Set(list(join(dir, ATTRIB_GROUP))));
      if (!out.has('tpg/param')) out.set('tpg/param', new Set(list(join(dir, PARAM_GROUP))));
      const acl = list(join(dir, ACL_GROUP))[0];
      if (acl && !out.has('acl/attrib')) out.set('acl/attrib', new Set(list(join(dir, ACL_GROUP, acl, ATTRIB_GROUP))));
    }
  }
  return out;
}

/** Recorded trees, by kernel series ("6.1"). */
async function recordedSets(series: string): Promise<Map<Kind, Set<string>> | undefined> {
  const { RECORDED_KERNELS } = await import('./kernel-trees.js');
  const templates = RECORDED_KERNELS[series] as Record<string, readonly (readonly [string, ...unknown[]])[]> | undefined;
  if (!templates) return undefined;
  const names = (kind: string, group: string) => new Set((templates[kind] ?? []).map((e) => e[0]).filter((p) => p.startsWith(`${group}/`)).map((p) => p.slice(group.length + 1)));
  return new Map<Kind, Set<string>>([
    ['so_iblock', names('so_iblock', 'attrib')], ['so_fileio', names('so_fileio', 'attrib')], ['so_rd_mcp', names('so_rd_mcp', 'attrib')],
    ['so_pscsi', names('so_iblock', 'attrib')],
    ['tpg/attrib', names('tpg', 'attrib')], ['tpg/param', names('tpg', 'param')], ['acl/attrib', names('acl', 'attrib')], ['target/param', names('target', 'param')],
  ]);
}

export async function kernelLacks(desired: DesiredState, rootPath: (abs: string) => string): Promise<KernelReport> {
  let kernel: string;
  try { kernel = readFileSync(rootPath('/proc/sys/kernel/osrelease'), 'utf8').trim(); } catch { kernel = release(); }
  const series = /^(\d+\.\d+)/.exec(kernel)?.[1] ?? kernel;
  const live = liveSets(rootPath(TARGET_ROOT));
  const recorded = await recordedSets(series);
  const lacks = new Set<string>();
  const unchecked = new Set<string>();
  const check = (kind: Kind, group: string, keys: Iterable<string>) => {
    const have = live.get(kind) ?? recorded?.get(kind);
    for (const k of keys) {
      if (!have) unchecked.add(kind);
      else if (!have.has(k)) lacks.add(`${group}/${k}`);
    }
  };
  for (const so of desired.storageObjects.values()) check(`so_${HBA_PLUGIN[so.kind]}` as Kind, 'attrib', Object.keys(so.attributes));
  for (const t of desired.targets.values()) {
    check('target/param', 'param', Object.keys(t.parameters ?? {}));
    for (const tpg of t.tpgs) {
      check('tpg/attrib', 'attrib', Object.keys(tpg.attributes));
      check('tpg/param', 'param', Object.keys(tpg.parameters));
      for (const a of tpg.acls) check('acl/attrib', 'attrib', Object.keys(a.attributes));
    }
  }
  return {
    kernel,
    lacks: [...lacks].sort(),
    ...(unchecked.size ? { unknown: `no live object and no recorded tree for ${[...unchecked].join(', ')}` } : {}),
  };
}
