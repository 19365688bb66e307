/**
 * Creating and removing the LIO network portal in configfs. mkdir of an np
 * makes the kernel bind and listen, rmdir tears the listener down; both go
 * through a child process with a timeout, because a wedged iscsi_target
 * can block them in the kernel and the agent must still answer.
 */
import { run } from '../../lib/exec/run.js';
import { Failure } from '../../lib/failure.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import type { PortalConfig } from './config.js';
import { observeListening, observeNps } from './observe.js';
import { type OpContext, sleep } from './op-context.js';

const CONFIGFS_TIMEOUT_MS = 5000;

/** Before touching anything: every TPG must exist (the target agent creates them). */
export function requireTpgs(ctx: OpContext, cfg: PortalConfig): void {
  const nps = observeNps(ctx.root, cfg);
  const missing = nps.filter((n) => !n.tpgExists).map((n) => n.tpgPath);
  if (missing.length > 0) {
    throw new Failure('generic', `target portal group ${missing.join(', ')} does not exist: start the target resource before the portal (order it earlier in the group)`,
    );
  }
}

export async function createNps(ctx: OpContext, cfg: PortalConfig, created: string[]): Promise<void> {
  for (const n of observeNps(ctx.root, cfg)) {
    const path = ctx.root.path(n.npPath);
    if (!n.npExists) {
      await run('mkdir', [path], { timeoutMs: ctx.deadline.budget(CONFIGFS_TIMEOUT_MS) });
      created.push(n.npPath);
    }
    if (cfg.iser && n.iser !== true) {
      // configfs attributes take "value\n" (no trailing space; see seed notes on rtslib).
      await run('tee', [`${path}/iser`], { input: '1\n', timeoutMs: ctx.deadline.budget(CONFIGFS_TIMEOUT_MS) });
    }
  }
}

export async function removeNps(ctx: OpContext, cfg: PortalConfig): Promise<void> {
  for (const n of observeNps(ctx.root, cfg)) {
    if (n.npExists) await run('rmdir', [ctx.root.path(n.npPath)], { timeoutMs: ctx.deadline.budget(CONFIGFS_TIMEOUT_MS) });
  }
}

/** Rollback of a failed start: removes exactly the portals it created, newest first. */
export async function removeNpPaths(ctx: OpContext, paths: readonly string[]): Promise<void> {
  for (const p of [...paths].reverse()) await run('rmdir', [ctx.root.path(p)], { timeoutMs: ctx.deadline.budget(CONFIGFS_TIMEOUT_MS) });
}

/** LIO listens once mkdir returns; allow a short grace for the login thread before failing. */
export async function waitListening(ctx: OpContext, cfg: PortalConfig, maxMs = 3000): Promise<void> {
  const until = performance.now() + ctx.deadline.budget(maxMs);
  while (!observeListening(ctx.root, cfg.ip, cfg.port)) {
    if (performance.now() > until) throw new Failure('generic', `network portal ${cfg.npName} was created but nothing listens on it`);
    await sleep(50);
  }
}
