import { existsSync } from 'node:fs';
import { run, ExecFailedError, ExecTimeoutError } from '../../lib/exec/run.js';
import type { Exec } from '../../lib/lvm/lvm.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { OcfError } from '../../lib/ocf/errors.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';

/**
 * Child commands of this agent: each gets a hard limit of min(maxMs, what the
 * action deadline leaves), and the root/PATH overrides so command doubles see
 * the same fixture tree as the agent.
 */
export function execFor(ctx: OcfContext<unknown>): Exec {
  const env: Record<string, string> = {};
  if (!ctx.root.isHost) env.LIOHA_ROOT = ctx.root.base;
  const path = ctx.env.LIOHA_PATH || ctx.env.OCF_RESKEY_CRM_meta_lioha_path;
  if (path) env.LIOHA_PATH = path;
  return (cmd, args, o) => run(cmd, args, { timeoutMs: ctx.deadline.budget(o.maxMs), okCodes: o.okCodes, env: { ...env, ...o.env } });
}

/** udev is not running (no control socket): LVM must manage /dev nodes itself. */
export const udevAbsent = (ctx: OcfContext<unknown>) => !existsSync(ctx.root.path('/run/udev/control'));

/** A failed or timed-out command as an OCF error whose reason says what was being done. */
export function commandError(doing: string, e: unknown): OcfError {
  if (e instanceof OcfError) return e;
  if (e instanceof ExecTimeoutError) return new OcfError(OcfExit.ERR_GENERIC, `${doing}: ${e.message}`);
  if (e instanceof ExecFailedError) {
    if (e.result.exitCode === -1 && /ENOENT/.test(e.result.stderr)) {
      return new OcfError(OcfExit.ERR_INSTALLED, `${doing}: ${e.command.split(' ')[0]} is not installed (not found in PATH)`);
    }
    // The lvm --config string is long and the same every time: name the command, keep LVM's words.
    const cmd = e.command.split(' ').slice(0, 2).join(' ');
    const detail = (e.result.stderr.trim() || e.result.stdout.trim()).split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' / ');
    return new OcfError(OcfExit.ERR_GENERIC, `${doing}: ${cmd} exited with ${e.result.exitCode}${detail ? `: ${detail}` : ''}`);
  }
  return new OcfError(OcfExit.ERR_GENERIC, `${doing}: ${(e as Error).message ?? String(e)}`);
}

export async function step<T>(doing: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw commandError(doing, e);
  }
}
