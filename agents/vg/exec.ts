import { existsSync } from 'node:fs';
import { run } from '../../lib/exec/run.js';
import type { Exec } from '../../lib/lvm/lvm.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { failureOf } from '../../lib/failure.js';

/**
 * Child commands of this agent: each gets a hard limit of its built-in limit (maxMs, chosen for
 * normal hardware) times the operation's step scale, never past what the action deadline leaves,
 * and the root/PATH overrides so command doubles see the same fixture tree as the agent.
 */
export function execFor(ctx: OcfContext<unknown>): Exec {
  const env: Record<string, string> = {};
  if (!ctx.root.isHost) env.LIOHA_ROOT = ctx.root.base;
  const path = ctx.env.LIOHA_PATH || ctx.env.OCF_RESKEY_CRM_meta_lioha_path;
  if (path) env.LIOHA_PATH = path;
  return (cmd, args, o) => run(cmd, args, { timeoutMs: ctx.deadline.step(o.maxMs), okCodes: o.okCodes, env: { ...env, ...o.env } });
}

/** udev is not running (no control socket): LVM must manage /dev nodes itself. */
export const udevAbsent = (ctx: OcfContext<unknown>) => !existsSync(ctx.root.path('/run/udev/control'));

export async function step<T>(doing: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw failureOf(e, doing);
  }
}
