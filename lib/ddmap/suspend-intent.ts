/**
 * Suspend intents: a capture records one before it suspends a map and removes it once the map is
 * resumed. A capture killed in between (SIGKILL, a crash) leaves the map suspended, which on IET
 * blocks every write of the target; the intent lets the next start, monitor or stop find and
 * resume it. An intent whose writer is still running is a capture in progress and is left alone.
 * Under /run: a reboot clears both the intents and the maps.
 */
import { promises as fsp } from 'node:fs';
import { readdirAsync, readTextAsync } from '../sys/fs-callback.js';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { selfIdentity, stillRunning, type ProcessIdentity } from '../proc/process.js';

export const SUSPEND_INTENT_DIR = '/run/lioha/ddmap/suspended';

export interface SuspendIntent extends ProcessIdentity {
  /** The backend's map id (IET: the proc entry name <target>.<lun>). */
  id: string;
  at: string;
  /** How long the writer may hold the map at most (ms); past it a live writer is a stuck one. */
  maxMs?: number;
}

const fileOf = (dir: string, id: string): string => {
  if (!id || id.includes('/') || id.startsWith('.')) throw new Error(`invalid map id ${JSON.stringify(id)}`);
  return join(dir, `${id}.json`);
};

/** Written completely before the map is suspended; returns the file to clear after the resume. */
export async function recordSuspendIntent(dir: string, id: string, maxMs?: number): Promise<string> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  const file = fileOf(dir, id);
  const intent: SuspendIntent = { id, ...selfIdentity(), at: new Date().toISOString(), ...(maxMs !== undefined ? { maxMs } : {}) };
  await writeFileAtomic(file, `${JSON.stringify(intent)}\n`);
  return file;
}

export async function clearSuspendIntent(file: string): Promise<void> {
  await fsp.unlink(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

async function readIntent(file: string): Promise<SuspendIntent | undefined> {
  try {
    const parsed = JSON.parse(await readTextAsync(file)) as SuspendIntent;
    if (Number.isInteger(parsed.pid) && typeof parsed.start === 'number') return parsed;
  } catch {
    // unreadable: treated as left by a dead writer
  }
  return undefined;
}

/** The intent of a capture still running that holds `id` suspended, or null (none, or its writer is gone). */
export async function heldSuspendIntent(dir: string, id: string): Promise<SuspendIntent | null> {
  let intent: SuspendIntent | undefined;
  try {
    intent = await readIntent(fileOf(dir, id));
  } catch {
    return null;
  }
  return intent && stillRunning(intent) ? intent : null;
}

/** Intents left by captures that are no longer running (an unreadable intent counts as left). */
export async function leftSuspendIntents(dir: string): Promise<Array<{ id: string; file: string; intent?: SuspendIntent }>> {
  let names: string[];
  try {
    names = await readdirAsync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: Array<{ id: string; file: string; intent?: SuspendIntent }> = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const file = join(dir, name);
    const id = name.slice(0, -'.json'.length);
    const intent = await readIntent(file);
    if (intent && stillRunning(intent)) continue;
    out.push({ id, file, ...(intent ? { intent } : {}) });
  }
  return out;
}
