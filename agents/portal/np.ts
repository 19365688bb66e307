/**
 * Creating and removing the LIO network portal through the one configfs door
 * (lib/configfs: GuardedConfigFs, wireValue, emulator), like the target agent.
 * mkdir of an np makes the kernel bind and listen, rmdir tears the listener down.
 * Every operation is bounded by a timeout,
 * because a wedged iscsi_target can block mkdir/rmdir in the kernel and the agent must
 * still answer (the action ends with process.exit, which a stuck thread cannot block).
 */
import { openConfigFs } from '../../lib/configfs/open.js';
import type { GuardedConfigFs } from '../../lib/configfs/io.js';
import { npIserFile } from '../../lib/configfs/layout.js';
import { Failure } from '../../lib/failure.js';
import { CLAIMS_DIR, claimNp, releaseNp } from '../../lib/configfs/network-portals.js';
import type { PortalConfig } from './config.js';
import { observeListening } from './observe.js';
import type { NpCreate } from './plan.js';
import { type OpContext, sleep } from './op-context.js';

const CONFIGFS_TIMEOUT_MS = 5000;

export function openTargetFs(ctx: OpContext): Promise<GuardedConfigFs> {
  return openConfigFs((p) => ctx.root.path(p), () => ctx.deadline.step(CONFIGFS_TIMEOUT_MS));
}

/**
 * Creates the planned nps, claiming each before its mkdir (the claim says this resource owns it;
 * a SIGKILL in between leaves a claim without an np, which stop settles). `created` gets each
 * np as soon as it exists, for rollback.
 */
export async function createNps(ctx: OpContext, cfs: GuardedConfigFs, nps: readonly NpCreate[], created: string[]): Promise<void> {
  for (const n of nps) {
    if (!n.exists) {
      claimNp(ctx.root.path(CLAIMS_DIR), n.rel, ctx.instance);
      await cfs.mkdir(n.rel);
      created.push(n.rel);
    }
    if (n.iser) await cfs.write(npIserFile(n.rel), '1');
  }
}

/**
 * Removes nps (relative paths), newest first; an np already gone is not an error. Each rmdir
 * is bounded by GuardedConfigFs: a call stuck in the kernel gives control back as 'hung'.
 */
export async function removeNpPaths(ctx: OpContext, cfs: GuardedConfigFs, rels: readonly string[]): Promise<void> {
  for (const rel of [...rels].reverse()) {
    if (await cfs.exists(rel)) await cfs.rmdir(rel);
    releaseNp(ctx.root.path(CLAIMS_DIR), rel);
  }
}

/** LIO listens once mkdir returns; allow a short grace for the login thread before failing. */
export async function waitListening(ctx: OpContext, cfg: PortalConfig, maxMs = 3000): Promise<void> {
  const until = performance.now() + ctx.deadline.budget(maxMs);
  while (!observeListening(ctx.root, cfg.ip, cfg.port)) {
    if (performance.now() > until) throw new Failure('generic', `network portal ${cfg.npName} was created but nothing listens on it`);
    await sleep(50);
  }
}
