/**
 * The backup's side of registry.ts: take the volume's lock, register, check the fence, run.
 * Kept apart so the vg agent's bundle does not carry the lock helper it never takes.
 */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../ddmap/atomic.js';
import { selfIdentity } from '../proc/process.js';
import { describeHolder, LockBusyError, withLock } from '../sys/lock.js';
import type { Root } from '../sys/root.js';
import { BackupError } from './errors.js';
import { BACKUP_RUN_DIR, liveFence, registrationPath, removeIfThere, volumeLockPath, type Registration } from './registry.js';

export const failoverMessage = (vg: string, lv: string) =>
  `interrupted by a failover: the cluster is stopping volume group ${vg} on this node; resume with the same command on the new primary (${vg}/${lv} is resumable)`;

/**
 * Run `f` as the one backup of vg/lv on this node, registered for the vg agent. Refuses when
 * another backup of the volume runs (busy) or the VG is being stopped (failover).
 */
export async function withRegistration<T>(root: Root, r: Pick<Registration, 'vg' | 'lv' | 'snapshot' | 'destination'>, f: () => Promise<T>): Promise<T> {
  const file = registrationPath(root, r.vg, r.lv); // checks the names first
  const dir = root.path(`${BACKUP_RUN_DIR}/${r.vg}`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  try {
    return await withLock(volumeLockPath(root, r.vg, r.lv), 0, async () => {
      const reg: Registration = { version: 1, ...selfIdentity(), vg: r.vg, lv: r.lv, snapshot: r.snapshot, destination: r.destination, startedAt: new Date().toISOString() };
      await writeFileAtomic(file, `${JSON.stringify(reg)}\n`);
      try {
        // After registering (see the header): a stop that raised its fence earlier is seen here.
        if (await liveFence(root, r.vg)) {
          throw new BackupError('failover', `volume group ${r.vg} is being stopped on this node (failover in progress); run the backup on the new primary`);
        }
        return await f();
      } finally {
        await removeIfThere(file);
      }
    });
  } catch (e) {
    if (e instanceof LockBusyError) {
      throw new BackupError('busy', `another backup of ${r.vg}/${r.lv} is running${e.holder ? ` (${describeHolder(e.holder, e.host)})` : ''}`);
    }
    throw e;
  }
}

