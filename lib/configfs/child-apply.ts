/**
 * Applies planned operations on the real configfs from a child process. A configfs write that
 * blocks in the kernel (uninterruptible sleep) can neither be cancelled nor killed; done in
 * the agent's own process it would also keep the agent from exiting, so Pacemaker would only
 * ever see a timeout. Done in a child, the agent watches the child's progress, gives up on the
 * operation that made no progress for `opTimeoutMs`, reports it, and exits; the stuck child
 * is left to the kernel. Used for teardown on a real kernel, where hangs are known (rtslib-fb
 * #143, targetcli-fb #178); the emulator runs in process.
 */
import { readFileSync, rmSync } from 'node:fs';
import { ConfigFsError, ConfigFsHangError, wireValue } from './io.js';
import { ApplyError } from './apply.js';
import type { PlanOp } from './plan.js';

// Runs in `node -e`: argv = [node, base, progressFile]; operations as JSON on stdin.
const CHILD = String.raw`
const fs = require('fs');
const [base, progress] = process.argv.slice(1);
const ops = JSON.parse(fs.readFileSync(0, 'utf8'));
if (!ops.length) process.exit(0); // cancelled: nothing to do, no progress file
const p = (r) => base + '/' + r;
// Values arrive already encoded by wireValue() (CHAP credentials without a newline).
const write = (r, v) => { const fd = fs.openSync(p(r), 'w'); try { fs.writeSync(fd, v); } finally { fs.closeSync(fd); } };
for (let i = 0; i < ops.length; i++) {
  const o = ops[i];
  fs.writeFileSync(progress, process.pid + ' ' + i);
  try {
    if (o.op === 'mkdir') fs.mkdirSync(p(o.path));
    else if (o.op === 'rmdir') fs.rmdirSync(p(o.path));
    else if (o.op === 'unlink') fs.unlinkSync(p(o.path));
    else if (o.op === 'symlink') fs.symlinkSync(p(o.target), p(o.path));
    else if (o.op === 'write') write(o.path, o.wire);
    else if (o.op === 'ensure') { if (fs.readFileSync(p(o.path), 'utf8').replace(/\n$/, '') !== o.value) write(o.path, o.wire); }
  } catch (e) {
    process.stdout.write(JSON.stringify({ index: i, code: e.code || 'EIO' }));
    process.exit(3);
  }
}
fs.writeFileSync(progress, process.pid + ' ' + ops.length);
`;

/** The child writes `wire` bytes as they are; the encoding stays in one place (wireValue). */
function encodeOp(op: PlanOp): PlanOp & { wire?: string } {
  return op.op === 'write' || op.op === 'ensure' ? { ...op, wire: wireValue(op.path, op.value) } : op;
}

function readProgress(file: string): { pid: number; index: number } | undefined {
  try {
    const [pid, index] = readFileSync(file, 'utf8').trim().split(' ').map(Number);
    return pid && index !== undefined && Number.isInteger(index) ? { pid, index } : undefined;
  } catch {
    return undefined;
  }
}

export interface ChildApplyOptions {
  /** An operation that shows no progress for this long counts as hung. */
  opTimeoutMs: number;
  /** Hard limit for the whole batch. */
  totalTimeoutMs: number;
  /** A private scratch file (tmpfs) for the child's progress. */
  progressFile: string;
}

export async function applyInChild(base: string, ops: readonly PlanOp[], o: ChildApplyOptions): Promise<void> {
  if (!ops.length) return;
  await prepareApplyInChild(base, o).apply(ops);
}

export interface PreparedApply {
  /** Hands the operations to the waiting child and watches it as applyInChild does. */
  apply(ops: readonly PlanOp[]): Promise<void>;
  /** Nothing to apply after all: the child exits without touching configfs. */
  cancel(): void;
}

/**
 * Starts the child now, waiting for its operations on stdin, so Node's start-up
 * in the child overlaps the caller reading the live tree and planning: stop's
 * wall time loses one Node start-up (~0.35 s under TCG).
 */
export function prepareApplyInChild(base: string, o: ChildApplyOptions): PreparedApply {
  rmSync(o.progressFile, { force: true });
  let feed!: (json: string) => void;
  const input = new Promise<string>((resolve) => (feed = resolve));
  const exec = import('../exec/run.js');
  const child = exec.then(({ run }) => run(process.execPath, ['-e', CHILD, base, o.progressFile], { timeoutMs: o.totalTimeoutMs, input }));
  child.catch(() => { /* awaited by apply(); a cancelled child's exit does not matter */ });
  return {
    cancel: () => feed('[]'),
    apply: async (ops) => {
      feed(JSON.stringify(ops.map(encodeOp)));
      await watch(child, await exec, ops, o);
    },
  };
}

async function watch(
  child: Promise<unknown>,
  { ExecFailedError, ExecTimeoutError }: typeof import('../exec/run.js'),
  ops: readonly PlanOp[],
  o: ChildApplyOptions,
): Promise<void> {
  let watchdog: NodeJS.Timeout | undefined;
  // Watch for an operation that stays current too long; kill the child's group and report it.
  const stalled = new Promise<{ index: number }>((resolve) => {
    let last = -1;
    let since = performance.now();
    watchdog = setInterval(() => {
      const pr = readProgress(o.progressFile);
      if (!pr) return;
      if (pr.index !== last) { last = pr.index; since = performance.now(); return; }
      if (pr.index < ops.length && performance.now() - since > o.opTimeoutMs) {
        try { process.kill(-pr.pid, 'SIGKILL'); } catch { try { process.kill(pr.pid, 'SIGKILL'); } catch { /* gone or stuck */ } }
        resolve({ index: pr.index });
      }
    }, Math.max(20, Math.min(200, o.opTimeoutMs / 5)));
  });
  const fsOp = (op: PlanOp) => (op.op === 'ensure' ? 'write' : op.op);
  const hang = (index: number, ms: number) => {
    const op = ops[Math.min(index, ops.length - 1)]!;
    return new ApplyError(op, new ConfigFsHangError(fsOp(op), op.path, ms), 0);
  };
  try {
    const outcome = await Promise.race([
      child.then(() => undefined),
      stalled,
    ]);
    if (outcome) throw hang(outcome.index, o.opTimeoutMs);
  } catch (e) {
    if (e instanceof ApplyError) throw e;
    if (e instanceof ExecTimeoutError) throw hang(readProgress(o.progressFile)?.index ?? 0, o.totalTimeoutMs);
    if (e instanceof ExecFailedError) {
      let failed: { index: number; code: string } | undefined;
      try { failed = JSON.parse(e.result.stdout) as { index: number; code: string }; } catch { /* child died otherwise */ }
      if (failed && ops[failed.index]) {
        const op = ops[failed.index]!;
        throw new ApplyError(op, new ConfigFsError(fsOp(op), op.path, failed.code), 0);
      }
    }
    throw e;
  } finally {
    clearInterval(watchdog);
    rmSync(o.progressFile, { force: true });
  }
}
