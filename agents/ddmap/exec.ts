import type { Exec } from '../../lib/lvm/lvm.js';
import type { OcfContext } from '../../lib/ocf/context.js';

/**
 * External commands of the era backend, each bounded by the smaller of its own limit and what is
 * left of the action's deadline. A sandbox root and command path reach the commands (doubles).
 */
export function execFor(ctx: OcfContext<unknown>): Exec {
  const env: Record<string, string> = {};
  if (!ctx.root.isHost) env.LIOHA_ROOT = ctx.root.base;
  const path = ctx.env.LIOHA_PATH || ctx.env.OCF_RESKEY_CRM_meta_lioha_path;
  if (path) env.LIOHA_PATH = path;
  return async (cmd, args, o) => {
    const { run } = await import('../../lib/exec/run.js');
    return run(cmd, args, { timeoutMs: ctx.deadline.budget(o.maxMs), okCodes: o.okCodes, env: { ...env, ...o.env } });
  };
}
