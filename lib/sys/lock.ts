import { cp } from '../exec/run.js'; // node:child_process, loaded when a lock is taken (monitor never does)
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
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

/**
 * The lock could not be taken within the wait. `holder` is the PID the holder wrote and `host` the node
 * it wrote it on, if known (a lock file on a filesystem that moves with a group may name the other node).
 */
export class LockBusyError extends Failure {
  override name = 'LockBusyError';
  constructor(readonly path: string, readonly holder: number | undefined, readonly host?: string) {
    super('generic', `node lock ${path} busy until the timeout${holder ? `: held by ${describeHolder(holder, host)}` : ''}`);
  }
}

/** "process 4080" or "process 4080 on labA": for the messages of callers that name the holder. */
export function describeHolder(pid: number, host?: string): string {
  return `process ${pid}${host && host !== hostname() ? ` on ${host}` : ''}`;
}

/**
 * The lock helper did not answer in time: not a contention (nobody is known to hold the lock), an
 * overloaded or stuck node. Seen on a starved VM, where fork and exec of flock took over 2 s.
 */
export class LockHelperTimeout extends Failure {
  override name = 'LockHelperTimeout';
  constructor(readonly path: string, ms: number) {
    super('generic', `cannot take lock ${path}: the flock helper did not answer within ${(ms / 1000).toFixed(1)} s (node overloaded?)`);
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
/** What the helper gets beyond the wait to start and answer: fork and exec on a loaded node are slow. */
const HELPER_SLACK_MS = 10_000;

export interface LockOptions {
  /** The helper's time to start and answer, beyond the wait (default 10 s). */
  helperSlackMs?: number;
}

export async function withLock<T>(path: string, waitMs: number, f: () => Promise<T>, o: LockOptions = {}): Promise<T> {
  // Synchronous calls: a small local file, and no promise-based fs module to load on stop's path.
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  // O_NOFOLLOW: a symlink planted at the lock path is refused, not followed.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600); // Node adds O_CLOEXEC
  let held = false;
  try {
    lockFd(fd, path, waitMs, o.helperSlackMs ?? HELPER_SLACK_MS);
    held = true;
    // For the message of a waiting process only; the lock itself is the flock.
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid} ${hostname()}\n`, 0);
    return await f();
  } finally {
    // Emptied before the release, so that a later waiter never names a holder that is gone. A process
    // killed here leaves its line; the flock is released all the same.
    if (held) try { ftruncateSync(fd, 0); } catch { /* the lock is released by the close below anyway */ }
    closeSync(fd);
  }
}

/**
 * flock(LOCK_EX) on `fd` (an open description shared with the helper), waiting at most `waitMs`.
 * spawnSync: the agent has nothing else to do while it waits, and no ChildProcess or stream
 * objects are made.
 */
function lockFd(fd: number, path: string, waitMs: number, slackMs: number): void {
  const seconds = Math.max(0, waitMs / 1000).toFixed(3);
  const limitMs = Math.ceil(Math.max(0, waitMs)) + slackMs;
  const r = cp().spawnSync('flock', ['--exclusive', '--timeout', seconds, '--conflict-exit-code', String(BUSY), '3'], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
    env: { PATH: searchPath() },
    // Belt and braces: the helper's own timeout ends the wait; this one ends a helper that does not.
    timeout: limitMs,
    killSignal: 'SIGKILL',
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    // Killed by the limit above: the helper never answered, which says nothing about a holder.
    if (code === 'ETIMEDOUT') throw new LockHelperTimeout(path, limitMs);
    throw new LockError(`cannot take lock ${path}: flock: ${code === 'ENOENT' ? 'command not found (util-linux)' : r.error.message}`);
  }
  if (r.status === 0) return;
  if (r.status === BUSY) {
    const h = readHolder(path);
    throw new LockBusyError(path, h?.pid, h?.host);
  }
  if (r.signal) throw new LockError(`cannot take lock ${path}: flock was killed by ${r.signal}`);
  throw new LockError(`cannot take lock ${path}: flock exited ${r.status}: ${String(r.stderr ?? '').trim()}`);
}

function readHolder(path: string): { pid: number; host?: string } | undefined {
  let text = '';
  try { text = readFileSync(path, 'utf8'); } catch { /* gone */ }
  const [pid, host] = text.trim().split(/\s+/);
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, ...(host ? { host } : {}) } : undefined;
}
