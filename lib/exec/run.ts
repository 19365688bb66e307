import { delimiter } from 'node:path';
import { ExecFailedError, ExecTimeoutError, type RunResult } from './errors.js';

export { ExecFailedError, ExecTimeoutError, type RunResult };

export interface RunOptions {
  /** Hard limit; the whole process group is killed when it is reached. */
  timeoutMs: number;
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
}


/** Grace between SIGTERM and SIGKILL of a timed-out command's process group. */
const KILL_GRACE_MS = 500;

/**
 * PATH for child commands: LIOHA_PATH (or the meta attribute lioha-path) first,
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
 * timeout kills everything it started; if even SIGKILL does not reap it (a
 * process stuck in the kernel), we stop waiting anyway: a hung kernel interface
 * must not hang the agent.
 */
export async function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const { execa } = await import('execa');
  const started = performance.now();
  const command = [cmd, ...args].join(' ');
  const sub = execa(cmd, args, {
    input: opts.input,
    cwd: opts.cwd,
    env: { ...opts.env, PATH: searchPath({ ...process.env, ...opts.env }) },
    extendEnv: true,
    reject: false,
    detached: true,
    stripFinalNewline: false,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
  });

  let timer: NodeJS.Timeout | undefined;
  let killer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      killGroup(sub.pid, 'SIGTERM');
      killer = setTimeout(() => {
        killGroup(sub.pid, 'SIGKILL');
        // Give the kernel a moment to reap; then give up waiting.
        setTimeout(() => resolve('timeout'), 200).unref();
      }, KILL_GRACE_MS);
    }, opts.timeoutMs);
  });

  try {
    const outcome = await Promise.race([sub, timedOut]);
    if (outcome === 'timeout' || (typeof outcome === 'object' && outcome.isTerminated && outcome.timedOut)) {
      sub.unref();
      sub.stdout?.destroy();
      sub.stderr?.destroy();
      throw new ExecTimeoutError(command, opts.timeoutMs);
    }
    if (outcome.signal && killer !== undefined) throw new ExecTimeoutError(command, opts.timeoutMs);
    const result: RunResult = {
      exitCode: outcome.exitCode ?? -1,
      stdout: String(outcome.stdout ?? ''),
      stderr: String(outcome.stderr ?? ''),
      durationMs: performance.now() - started,
    };
    if (outcome.failed && outcome.exitCode === undefined) {
      // Spawn failure (ENOENT, EACCES): report it as a failed command.
      throw new ExecFailedError(command, { ...result, stderr: String(outcome.message ?? '') });
    }
    if (!(opts.okCodes ?? [0]).includes(result.exitCode)) throw new ExecFailedError(command, result);
    return result;
  } finally {
    clearTimeout(timer);
    clearTimeout(killer);
  }
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
