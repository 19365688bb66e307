/**
 * Applies planned operations on the real configfs from a child process. A configfs write that
 * blocks in the kernel (uninterruptible sleep) can neither be cancelled nor killed; done in
 * the agent's own process it would also keep the agent from exiting, so Pacemaker would only
 * ever see a timeout. Done in a child, the agent watches the child's progress, gives up on the
 * call that made no progress for `opTimeoutMs`, reports it, and exits; the stuck child is left
 * to the kernel. Used for teardown on a real kernel, where hangs are known (rtslib-fb #143,
 * targetcli-fb #178); the emulator runs in process.
 *
 * The child is `sh` running a script generated here, not a second Node: under TCG a Node
 * start-up costs ~0.7 s, about half of `targetctl clear`. Writes are the shell's own printf
 * (no exec; values never reach an argv); consecutive rmdirs, unlinks and mkdirs go to one
 * coreutils call each (in order, at most BATCH paths and BATCH_BYTES), so a 32 LUN x 32 ACL teardown
 * is a few execs (stop plans every unlink before every rmdir for this). Progress is per call: a
 * call is the unit the watchdog times (allowance()) and reports.
 */
import { readFileSync, rmSync } from 'node:fs';
import { ConfigFsError, ConfigFsHangError, underBase, wireValue, type ConfigFsOp } from './io.js';
import { ApplyError } from './apply.js';
import type { PlanOp } from './plan.js';

/**
 * Paths per coreutils call, at most, and their bytes: each exec costs tens of ms on a starved (TCG) node,
 * so a 32 LUN x 32 ACL teardown (about 2,200 paths) is nine calls, not 35, and an argv stays far below
 * ARG_MAX. A full call's hang allowance (write_timeout per 64 paths) is 12 s by default. A hung call
 * is named by its first path (and how many came after it).
 */
export const BATCH = 256;
export const BATCH_BYTES = 96 * 1024;

/** One shell command: ops[first, first + ops.length) of the plan. */
interface Step { first: number; ops: PlanOp[] }

/** The commands the script runs besides sh's builtins (scripts/host-tools.list; the host-tools test reads this list). */
export const SCRIPT_COMMANDS = ['rmdir', 'rm', 'mkdir', 'ln'] as const;
const [RMDIR, RM, MKDIR, LN] = SCRIPT_COMMANDS;
const BATCHED: Partial<Record<PlanOp['op'], string>> = { rmdir: RMDIR, unlink: RM, mkdir: MKDIR };

export function steps(ops: readonly PlanOp[]): Step[] {
  const out: Step[] = [];
  let bytes = 0;
  ops.forEach((op, i) => {
    const last = out[out.length - 1];
    const size = Buffer.byteLength(op.path) + 3; // the quotes and the separator
    if (last && BATCHED[op.op] && last.ops[0]!.op === op.op && last.ops.length < BATCH && bytes + size <= BATCH_BYTES) {
      last.ops.push(op);
      bytes += size;
    } else {
      out.push({ first: i, ops: [op] });
      bytes = size;
    }
  });
  return out;
}

/** A single-quoted sh word: safe for any byte string without NUL (configfs names cannot hold one). */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The script: progress (`<pid> <index>`) before every call, then the call; the first failing
 * call prints `F <index>` and exits 3. Paths are relative to the target root (the cwd).
 */
export function script(base: string, ops: readonly PlanOp[]): string {
  for (const op of ops) {
    underBase(base, fsOp(op), op.path); // a path that would leave configfs is refused before anything runs
    if (op.op === 'symlink') underBase(base, 'symlink', op.target);
  }
  const lines = [
    'LC_ALL=C; export LC_ALL',
    `cd -- ${q(base)} || { echo 'F 0'; exit 3; }`,
    's() { echo "$$ $1" > "$P" || exit 4; }',
    'f() { echo "F $1"; exit 3; }',
  ];
  for (const { first, ops: group } of steps(ops)) {
    const op = group[0]!;
    const paths = group.map((o) => q(o.path)).join(' ');
    let cmd: string;
    switch (op.op) {
      case 'rmdir': case 'unlink': case 'mkdir': cmd = `${BATCHED[op.op]} -- ${paths}`; break;
      case 'symlink': cmd = `${LN} -s -- ${q(underBase(base, 'symlink', op.target))} ${paths}`; break;
      case 'write': cmd = `printf %s ${q(wireValue(op.path, op.value))} > ${paths}`; break;
      case 'ensure':
        cmd = `{ v=; { IFS= read -r v || :; } < ${paths} && { [ "$v" = ${q(op.value)} ] || printf %s ${q(wireValue(op.path, op.value))} > ${paths}; }; }`;
        break;
    }
    lines.push(`s ${first}; ${cmd} || f ${first}`);
  }
  lines.push(`s ${ops.length}`, '');
  return lines.join('\n');
}

/** strerror(3) texts (LC_ALL=C) and dash's own wording, to the errno name the rest of lib uses. */
const ERRNO_TEXT: [RegExp, string][] = [
  [/No such file or directory|Directory nonexistent|No such file/, 'ENOENT'],
  [/Directory not empty/, 'ENOTEMPTY'],
  [/Device or resource busy/, 'EBUSY'],
  [/Operation not permitted/, 'EPERM'],
  [/Permission denied/, 'EACCES'],
  [/Invalid argument/, 'EINVAL'],
  [/File exists/, 'EEXIST'],
  [/Read-only file system/, 'EROFS'],
  [/No such device or address/, 'ENXIO'],
  [/No such device/, 'ENODEV'],
  [/Not a directory/, 'ENOTDIR'],
  [/Is a directory/, 'EISDIR'],
  [/No space left on device/, 'ENOSPC'],
  [/Cannot allocate memory/, 'ENOMEM'],
  [/Function not implemented/, 'ENOSYS'],
  [/Operation not supported/, 'EOPNOTSUPP'],
];

/** Which operation of a failed call failed, and why, from the call's stderr (coreutils names each path it fails on). */
export function failureOf(step: Step, stderr: string): { op: PlanOp; code: string } {
  const lines = stderr.split('\n');
  for (const op of step.ops) {
    const line = lines.find((l) => l.includes(`'${op.path}'`)) ?? (step.ops.length === 1 ? lines.find((l) => l.trim()) : undefined);
    if (line === undefined) continue;
    return { op, code: ERRNO_TEXT.find(([re]) => re.test(line))?.[1] ?? 'EIO' };
  }
  return { op: step.ops[0]!, code: 'EIO' };
}

/**
 * How long one call may go without finishing: `opTimeoutMs` per 64 operations it holds. One
 * operation in the kernel takes microseconds; the allowance covers a loaded machine (exec, a
 * starved TCG guest) without letting a stuck call hide for long.
 */
export function allowance(calls: number, opTimeoutMs: number): number {
  return opTimeoutMs * Math.ceil(calls / 64);
}

function fsOp(op: PlanOp): ConfigFsOp {
  return op.op === 'ensure' ? 'write' : op.op;
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
  /** An operation that shows no progress for this long counts as hung (a batched call gets allowance()). */
  opTimeoutMs: number;
  /** Hard limit for the whole batch. */
  totalTimeoutMs: number;
  /** A private scratch file (tmpfs) for the child's progress. */
  progressFile: string;
}

export async function applyInChild(base: string, ops: readonly PlanOp[], o: ChildApplyOptions): Promise<void> {
  if (!ops.length) return;
  const text = script(base, ops); // before anything starts: a refused path changes nothing
  const all = steps(ops);
  const stepAt = (index: number) => all.find((s) => index >= s.first && index < s.first + s.ops.length) ?? all[all.length - 1]!;
  rmSync(o.progressFile, { force: true });
  const exec = await import('../exec/run.js');
  const child = exec.run('sh', ['-s', '--'], { timeoutMs: o.totalTimeoutMs, input: text, env: { P: o.progressFile } });
  child.catch(() => { /* awaited below; after a hang it is left behind */ });

  let watchdog: NodeJS.Timeout | undefined;
  // Watch for a call that stays current too long; kill the child's group and report it.
  const stalled = new Promise<{ index: number }>((resolve) => {
    let last = -1;
    let since = performance.now();
    watchdog = setInterval(() => {
      const pr = readProgress(o.progressFile);
      if (!pr) return;
      if (pr.index !== last) { last = pr.index; since = performance.now(); return; }
      if (pr.index < ops.length && performance.now() - since > allowance(stepAt(pr.index).ops.length, o.opTimeoutMs)) {
        try { process.kill(-pr.pid, 'SIGKILL'); } catch { try { process.kill(pr.pid, 'SIGKILL'); } catch { /* gone or stuck */ } }
        resolve({ index: pr.index });
      }
    }, Math.max(20, Math.min(200, o.opTimeoutMs / 5)));
  });
  const hang = (index: number, ms: number) => {
    const step = stepAt(index);
    const op = step.ops[0]!;
    return new ApplyError(op, new ConfigFsHangError(fsOp(op), op.path, ms, step.ops.length), 0);
  };
  try {
    const outcome = await Promise.race([child.then(() => undefined), stalled]);
    if (outcome) throw hang(outcome.index, allowance(stepAt(outcome.index).ops.length, o.opTimeoutMs));
  } catch (e) {
    if (e instanceof ApplyError) throw e;
    if (e instanceof exec.ExecTimeoutError) throw hang(readProgress(o.progressFile)?.index ?? 0, o.totalTimeoutMs);
    if (e instanceof exec.ExecFailedError) {
      const m = /^F (\d+)$/m.exec(e.result.stdout);
      if (m) {
        const { op, code } = failureOf(stepAt(Number(m[1])), e.result.stderr);
        throw new ApplyError(op, new ConfigFsError(fsOp(op), op.path, code), 0);
      }
    }
    throw e;
  } finally {
    clearInterval(watchdog);
    rmSync(o.progressFile, { force: true });
  }
}
