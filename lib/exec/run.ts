import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { delimiter } from 'node:path';
import { ExecFailedError, ExecTimeoutError, type RunResult } from './errors.js';

export { ExecFailedError, ExecTimeoutError, type RunResult };

export interface RunOptions {
  /** Hard limit; the whole process group is killed when it is reached. */
  timeoutMs: number;
  /**
   * Written to stdin. A promise lets the command start before its input is known
   * (its start-up overlaps the caller's work); a rejected one closes stdin empty.
   */
  input?: string | Promise<string>;
  env?: Record<string, string>;
  cwd?: string;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
}

/**
 * node:child_process is loaded on the first command, not at start-up: it pulls in
 * net and the stream modules (~4 ms of CPU), which a monitor that forks nothing never needs.
 */
let childProcess: typeof import('node:child_process') | undefined;
/**
 * node:child_process, loaded on first use: through process.getBuiltinModule (Node >= 20.16), else the
 * bundle's CommonJS require. Not node:module's createRequire: importing node:module loads the ESM
 * loader's modules into every fork, monitors included.
 */
export const cp = (): typeof import('node:child_process') =>
  (childProcess ??= typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:child_process') : require('node:child_process'));

/** Milliseconds, monotonic: process.hrtime, not performance.now(), which loads perf_hooks (~10 modules) on first use. */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Grace between SIGTERM and SIGKILL of a timed-out command's process group. */
const KILL_GRACE_MS = 500;
/** After SIGKILL, how long to wait for the kernel to reap before giving up on the child. */
const REAP_GRACE_MS = 200;

/**
 * PATH for child commands: LIOHA_PATH (or the operation meta attribute lioha-path) first,
 * so a sandbox can put command doubles ahead of the real tools; then the
 * caller's PATH, then the system directories Pacemaker may have left out.
 */
export function searchPath(env: NodeJS.ProcessEnv = process.env): string {
  const parts = [
    env.LIOHA_PATH || env.OCF_RESKEY_CRM_meta_lioha_path,
    env.PATH,
    '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ].filter(Boolean) as string[];
  return [...new Set(parts.join(delimiter).split(delimiter).filter(Boolean))].join(delimiter);
}

/**
 * Run a command with a hard timeout. The child gets its own process group so a
 * timeout kills everything it started (SIGTERM, then SIGKILL after a grace); if
 * even SIGKILL does not reap it (a process stuck in the kernel), we stop waiting
 * anyway: a hung kernel interface must not hang the agent.
 *
 * Plain node:child_process on purpose: this is on every agent's hot path, and
 * execa costs ~30 ms of module loading per fork for features we do not use.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const started = nowMs();
  const command = [cmd, ...args].join(' ');
  const env = { ...process.env, ...opts.env };
  env.PATH = searchPath(env);

  return new Promise<RunResult>((resolve, reject) => {
    const files = captureFiles();
    let child: import('node:child_process').ChildProcess;
    try {
      child = cp().spawn(cmd, args, {
        cwd: opts.cwd,
        env,
        detached: true,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', files?.[0] ?? 'pipe', files?.[1] ?? 'pipe'],
      });
    } catch (e) {
      files?.forEach((fd) => closeSync(fd));
      reject(spawnFailure(command, e, started));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const collected = (i: 0 | 1) => {
      if (!files) return Buffer.concat(i === 0 ? out : err).toString('utf8');
      const fd = files[i];
      const buf = Buffer.alloc(fstatSync(fd).size);
      let off = 0;
      while (off < buf.length) {
        const n = readSync(fd, buf, off, buf.length - off, off);
        if (n === 0) break;
        off += n;
      }
      return buf.subarray(0, off).toString('utf8');
    };
    const release = () => files?.forEach((fd) => closeSync(fd));
    if (child.stdin) {
      // A command that exits without reading its input closes the pipe: not our failure.
      child.stdin.on('error', () => {});
      const stdin = child.stdin;
      if (typeof opts.input === 'string') stdin.end(opts.input);
      else void opts.input!.then((s) => stdin.end(s), () => stdin.end());
    }

    let settled = false;
    let killing = false;
    const timers: NodeJS.Timeout[] = [];
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      try {
        f();
      } finally {
        release();
      }
    };
    const giveUp = () =>
      settle(() => {
        // Stuck in the kernel: stop waiting, and let nothing of it keep the agent alive.
        child.stdout?.destroy();
        child.stderr?.destroy();
        child.stdin?.destroy();
        child.unref();
        reject(new ExecTimeoutError(command, opts.timeoutMs));
      });

    timers.push(
      setTimeout(() => {
        killing = true;
        killGroup(child.pid, 'SIGTERM');
        timers.push(
          setTimeout(() => {
            killGroup(child.pid, 'SIGKILL');
            timers.push(setTimeout(giveUp, REAP_GRACE_MS));
          }, KILL_GRACE_MS),
        );
      }, opts.timeoutMs),
    );

    child.on('error', (e) => settle(() => reject(spawnFailure(command, e, started))));
    // 'close' waits for the pipes too: a grandchild holding them open is bounded by the timers above.
    child.on('close', (code, signal) =>
      settle(() => {
        if (killing) {
          reject(new ExecTimeoutError(command, opts.timeoutMs));
          return;
        }
        const result: RunResult = {
          exitCode: code ?? -1,
          stdout: collected(0),
          stderr: collected(1) || (signal ? `killed by ${signal}` : ''),
          durationMs: nowMs() - started,
        };
        if (!(opts.okCodes ?? [0]).includes(result.exitCode)) reject(new ExecFailedError(command, result));
        else resolve(result);
      }),
    );
  });
}

let seq = 0;
/**
 * The command's stdout and stderr go to two unlinked temporary files rather
 * than pipes: Node wraps every pipe in a stream (~4 ms of CPU for the pair,
 * more than a dd of one block), and a grandchild that keeps a pipe open cannot
 * delay the result. Falls back to pipes when no temporary file can be made.
 */
function captureFiles(): [number, number] | undefined {
  const dir = process.env.TMPDIR || '/tmp';
  const fds: number[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const path = `${dir}/.lioha-run-${process.pid}-${seq++}`;
      fds.push(openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
      unlinkSync(path);
    }
    return fds as [number, number];
  } catch {
    fds.forEach((fd) => closeSync(fd));
    return undefined;
  }
}

/** ENOENT, EACCES and the like, reported as a failed command (exit -1) whose stderr names the error. */
function spawnFailure(command: string, e: unknown, started: number): ExecFailedError {
  const err = e as NodeJS.ErrnoException;
  const msg = err.code ? `${err.code}: ${err.message}` : String(err.message ?? e);
  return new ExecFailedError(command, { exitCode: -1, stdout: '', stderr: msg, durationMs: nowMs() - started });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
