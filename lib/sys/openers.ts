// fs.promises, not node:fs/promises: the vg monitor loads this module (aliasSet) but none of the
// functions that read asynchronously, and the promise-based fs module is ~10 modules to load.
import { promises as fsp, realpathSync } from 'node:fs';
import { absolute, CORE_DIR } from '../configfs/layout.js';
import type { Root } from './root.js';
import { parseMounts } from '../proc/mounts.js';

/**
 * Who keeps a block device or a mounted tree busy. Stop uses this to fail with a
 * reason that names the holder instead of LVM's bare "in use". File reads only.
 */
export interface Opener {
  kind: 'holder' | 'mount' | 'swap' | 'lio' | 'process';
  /** Human description for the exit reason, e.g. `LIO backstore iblock_0/lun0`. */
  what: string;
  pid?: number;
}

const list = async (p: string) => fsp.readdir(p).catch(() => [] as string[]);
const read = async (p: string) => fsp.readFile(p, 'utf8').catch(() => '');

/** Absolute path (relative to the root) of what a path names, resolving symlinks inside the root. */
async function canonical(root: Root, abs: string): Promise<string> {
  if (!abs.startsWith('/')) return abs;
  try {
    // Sync: the monitor calls this; resolving /dev links is served from memory.
    const real = realpathSync(root.path(abs));
    if (root.base === '/') return real;
    const base = root.base.replace(/\/+$/, '');
    return real.startsWith(`${base}/`) ? real.slice(base.length) : abs;
  } catch {
    return abs;
  }
}

/** Device names match if equal as written or after resolving symlinks under the root. */
export async function aliasSet(root: Root, aliases: readonly string[]): Promise<Set<string>> {
  const s = new Set(aliases);
  for (const a of aliases) s.add(await canonical(root, a));
  return s;
}

/** LIO backstores (configfs core/<hba>/<obj>/udev_path) that point at one of the aliases. */
export async function lioBackstoresOf(root: Root, aliases: Set<string>): Promise<Opener[]> {
  const core = root.path(absolute(CORE_DIR));
  const out: Opener[] = [];
  for (const hba of await list(core)) {
    for (const obj of await list(`${core}/${hba}`)) {
      const udev = (await read(`${core}/${hba}/${obj}/udev_path`)).trim();
      if (!udev) continue;
      // Only an enabled storage object has the block device open.
      if ((await read(`${core}/${hba}/${obj}/enable`)).trim() === '0') continue;
      if (aliases.has(udev) || aliases.has(await canonical(root, udev))) {
        out.push({ kind: 'lio', what: `LIO backstore ${hba}/${obj} (${udev})` });
      }
    }
  }
  return out;
}

/**
 * Kernel-side and mount openers of a dm device: stacked holders, mounts, swap,
 * LIO backstores. Cheap; run before deactivating.
 */
export async function deviceOpeners(
  root: Root, dmKernel: string, aliases: readonly string[], describeHolder: (k: string) => string = (k) => k,
): Promise<Opener[]> {
  const set = await aliasSet(root, aliases);
  const out: Opener[] = [];
  for (const h of await list(root.path(`/sys/block/${dmKernel}/holders`))) {
    out.push({ kind: 'holder', what: `device ${describeHolder(h)} stacked on it` });
  }
  for (const m of parseMounts(await read(root.path('/proc/self/mounts')))) {
    if (set.has(m.device)) out.push({ kind: 'mount', what: `mounted on ${m.mountPoint}` });
  }
  for (const line of (await read(root.path('/proc/swaps'))).split('\n').slice(1)) {
    const dev = line.split(/\s+/)[0];
    if (dev && set.has(dev)) out.push({ kind: 'swap', what: 'used as swap' });
  }
  out.push(...(await lioBackstoresOf(root, set)));
  return out;
}

async function processName(root: Root, pid: string): Promise<string> {
  return (await read(root.path(`/proc/${pid}/comm`))).trim() || '?';
}

/**
 * Processes that have one of the paths open, or a path under a directory
 * (open files, cwd, root, executable, mapped files). Scans <root>/proc/<pid>.
 */
export async function processOpeners(
  root: Root, match: { paths?: readonly string[]; under?: string },
  /** Filled as the scan goes, so a caller that stops waiting still has the partial result. */
  out: Opener[] = [],
): Promise<Opener[]> {
  const paths = new Set(match.paths ?? []);
  const under = match.under?.replace(/\/+$/, '');
  const hit = (p: string) => {
    const clean = p.replace(/ \(deleted\)$/, '');
    return paths.has(clean) || (under !== undefined && (clean === under || clean.startsWith(`${under}/`)));
  };
  // Under a fixture root, a real process's links name host paths below the root: read them as the root's.
  const rootBase = root.isHost ? '' : root.base.replace(/\/+$/, '');
  const link = async (p: string) => {
    const t = await fsp.readlink(p).catch(() => undefined);
    return t && rootBase && t.startsWith(`${rootBase}/`) ? t.slice(rootBase.length) : t;
  };
  const self = String(process.pid);
  for (const pid of await list(root.path('/proc'))) {
    if (!/^\d+$/.test(pid) || (root.base === '/' && pid === self)) continue;
    const base = root.path(`/proc/${pid}`);
    const how: string[] = [];
    for (const l of ['cwd', 'root', 'exe']) {
      const t = await link(`${base}/${l}`);
      if (t && hit(t)) how.push(`${l} ${t}`);
    }
    if (!how.length) {
      for (const fd of await list(`${base}/fd`)) {
        const t = await link(`${base}/fd/${fd}`);
        if (t && hit(t)) { how.push(`open file ${t}`); break; }
      }
    }
    if (under !== undefined && !how.length) {
      for (const line of (await read(`${base}/maps`)).split('\n')) {
        const p = line.trim().split(/\s+/).slice(5).join(' ');
        if (p.startsWith('/') && hit(p)) { how.push(`mapped ${p}`); break; }
      }
    }
    if (how.length) {
      out.push({ kind: 'process', pid: Number(pid), what: `pid ${pid} (${await processName(root, pid)}) ${how[0]}` });
    }
  }
  return out;
}

export const describeOpeners = (o: readonly Opener[]) => o.map((x) => x.what).join('; ');
