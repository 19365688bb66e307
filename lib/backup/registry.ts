/**
 * Running backups, as the vg agent sees them on this node. A backup that reads an LVM snapshot
 * keeps the VG from being deactivated, so a switchover's vg stop must find it and interrupt it:
 *
 *   /run/lioha/backup/<vg>/<lv>.lock     flock held for the whole run: one backup per volume
 *                                        (they share the snapshot name <lv>-bksnap)
 *   /run/lioha/backup/<vg>/<lv>.backup   the registration: PID and start time of the backup,
 *                                        its snapshot and destination; written atomically once
 *                                        the lock is held, removed when the run ends
 *   /run/lioha/backup/<vg>/stopping      the fence: written atomically by the vg agent's stop
 *                                        (its PID and start time) before it looks for backups
 *
 * A backup registers, then looks for a live fence; the agent raises the fence, then reads the
 * registrations. Whatever the interleaving, either the backup sees the fence and refuses to
 * start, or the agent sees the backup and interrupts it. Liveness is PID plus start time
 * (lib/proc/process.ts), so a registration or fence left by a killed process means nothing.
 * Node-local state under /run: a reboot clears it, and the other node has its own.
 * This module is what the vg agent reads; the backup's side is registration.ts.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { writeFileAtomic } from '../ddmap/atomic.js';
import { isLvmName } from '../names.js';
import { selfIdentity, stillRunning, type ProcessIdentity } from '../proc/process.js';
import type { Root } from '../sys/root.js';
import { BackupError } from './errors.js';

export const BACKUP_RUN_DIR = '/run/lioha/backup';
const REGISTRATION_SUFFIX = '.backup';
const FENCE = 'stopping';

export interface Registration extends ProcessIdentity {
  version: 1;
  vg: string;
  lv: string;
  /** The snapshot LV the run reads (<lv>-bksnap). */
  snapshot: string;
  destination: string;
  startedAt: string;
}

export interface Fence extends ProcessIdentity {
  version: 1;
  vg: string;
  at: string;
}

function checkNames(vg: string, lv?: string): void {
  if (!isLvmName(vg) || (lv !== undefined && !isLvmName(lv))) throw new BackupError('input', `invalid volume ${vg}/${lv ?? ''}`);
}

const vgDir = (root: Root, vg: string) => {
  checkNames(vg);
  return root.path(`${BACKUP_RUN_DIR}/${vg}`);
};
export const volumeLockPath = (root: Root, vg: string, lv: string) => {
  checkNames(vg, lv);
  return `${vgDir(root, vg)}/${lv}.lock`;
};
export const registrationPath = (root: Root, vg: string, lv: string) => {
  checkNames(vg, lv);
  return `${vgDir(root, vg)}/${lv}${REGISTRATION_SUFFIX}`;
};
export const fencePath = (root: Root, vg: string) => `${vgDir(root, vg)}/${FENCE}`;

export const removeIfThere = (p: string) => unlink(p).catch((e: NodeJS.ErrnoException) => {
  if (e.code !== 'ENOENT') throw e;
});

async function readJson<T>(p: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(p, 'utf8')) as T;
  } catch {
    return null; // absent, or a registration of another version: not a running backup we know
  }
}

/** The fence of a vg stop in progress on this node, if its writer is still running. */
export async function liveFence(root: Root, vg: string): Promise<Fence | null> {
  const f = await readJson<Fence>(fencePath(root, vg));
  if (!f || f.version !== 1 || typeof f.pid !== 'number' || typeof f.start !== 'number') return null;
  return stillRunning(f) ? f : null;
}

/** Backups of the VG's volumes running on this node now (registrations whose writer lives). */
export async function runningBackups(root: Root, vg: string): Promise<Registration[]> {
  const dir = vgDir(root, vg);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Registration[] = [];
  for (const n of names) {
    if (!n.endsWith(REGISTRATION_SUFFIX) || n.startsWith('.')) continue;
    const lv = n.slice(0, -REGISTRATION_SUFFIX.length);
    const r = await readJson<Registration>(`${dir}/${n}`);
    // Every field that becomes a name or a signal target is checked, never trusted.
    if (!r || r.version !== 1 || r.vg !== vg || r.lv !== lv || !isLvmName(lv) || typeof r.snapshot !== 'string' || !isLvmName(r.snapshot)) continue;
    if (!Number.isInteger(r.pid) || r.pid <= 1 || typeof r.start !== 'number') continue;
    if (stillRunning(r)) out.push(r);
  }
  return out;
}

/** Raise the fence of a stop of `vg`; returns what lowers it (only if still ours). */
export async function raiseFence(root: Root, vg: string): Promise<() => Promise<void>> {
  const file = fencePath(root, vg);
  await mkdir(vgDir(root, vg), { recursive: true, mode: 0o755 });
  const me = selfIdentity();
  const fence: Fence = { version: 1, ...me, vg, at: new Date().toISOString() };
  await writeFileAtomic(file, `${JSON.stringify(fence)}\n`);
  return async () => {
    const now = await readJson<Fence>(file);
    if (now && now.pid === me.pid && now.start === me.start) await removeIfThere(file);
  };
}
