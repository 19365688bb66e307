import { cp } from '../exec/run.js'; // node:child_process, loaded when a lock is taken (monitor never does)
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { searchPath } from '../exec/run.js';
import { Failure } from '../failure.js';

/**
 * A node-local lock so that two target resources never plan against the same snapshot
 * (HBA index allocation, shared storage objects).
 *
 * The kernel arbitrates it: flock(2) on an open file description. Node has no flock, so the
 * util-linux `flock` command takes the lock on a descriptor it inherits from this process;
 * the lock belongs to the open file description, which this process keeps open after the
 * helper exits. It is released when the description is closed: at the end of `f`, or by the
 * kernel when this process dies (SIGKILL included). There is no lock file content to trust,
 * no liveness guess and no stale takeover. Only start and stop take the lock (one short
 * spawn); monitor does not.
 */

/** The lock could not be taken within the wait; `holder` is the PID the holder wrote, if known. */
export class LockBusyError extends Failure {
  override name = 'LockBusyError';
  constructor(readonly path: string, readonly holder: number | undefined) {
    super('generic', `node lock ${path} busy until the timeout${holder ? `: held by process ${holder}` : ''}`);
  }
}

/** The lock helper is missing or failed (not a contention): a node-local installation problem. */
export class LockError extends Failure {
  override name = 'LockError';
  constructor(reason: string) {
    super('installed', reason);
  }
}

/** Exit code flock(1) uses here for "timed out waiting" (EX_TEMPFAIL). */
const BUSY = 75;

export async function withLock<T>(path: string, waitMs: number, f: () => Promise<T>): Promise<T> {
  // Synchronous calls: a small local file, and no promise-based fs module to load on stop's path.
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  // O_NOFOLLOW: a symlink planted at the lock path is refused, not followed.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600); // Node adds O_CLOEXEC
  try {
    lockFd(fd, path, waitMs);
    // For the message of a waiting process only; the lock itself is the flock.
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
    return await f();
  } finally {
    closeSync(fd);
  }
}

/**
 * flock(LOCK_EX) on `fd` (an open description shared with the helper), waiting at most `waitMs`.
 * spawnSync: the agent has nothing else to do while it waits, and no ChildProcess or stream
 * objects are made.
 */
function lockFd(fd: number, path: string, waitMs: number): void {
  const seconds = Math.max(0, waitMs / 1000).toFixed(3);
  const r = cp().spawnSync('flock', ['--exclusive', '--timeout', seconds, '--conflict-exit-code', String(BUSY), '3'], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
    env: { PATH: searchPath() },
    // Belt and braces: the helper's own timeout ends the wait; this one ends a helper that does not.
    timeout: Math.ceil(Math.max(0, waitMs)) + 2000,
    killSignal: 'SIGKILL',
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code !== 'ETIMEDOUT') throw new LockError(`cannot take lock ${path}: flock: ${code === 'ENOENT' ? 'command not found (util-linux)' : r.error.message}`);
  }
  if (r.status === 0) return;
  if (r.status === BUSY || r.signal) throw new LockBusyError(path, readHolder(path));
  throw new LockError(`cannot take lock ${path}: flock exited ${r.status}: ${String(r.stderr ?? '').trim()}`);
}

function readHolder(path: string): number | undefined {
  let text = '';
  try { text = readFileSync(path, 'utf8'); } catch { /* gone */ }
  const n = Number(text.trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
