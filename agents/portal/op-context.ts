import type { Deadline } from '../../lib/ocf/deadline.js';
import type { Logger } from '../../lib/log/logger.js';
import type { Root } from '../../lib/sys/root.js';

/** The part of an action's context the portal operations use. */
export interface OpContext {
  instance: string;
  root: Root;
  deadline: Deadline;
  log: Logger;
  env: NodeJS.ProcessEnv;
}

/** Per-instance runtime files (block marker, announcer pid), under the root's /run. */
export function runtimePath(ctx: OpContext, suffix: string): string {
  const safe = ctx.instance.replace(/[^A-Za-z0-9_.-]/g, '_');
  return ctx.root.path(`/run/lioha/portal/${safe}.${suffix}`);
}

/** Directory of heartbeat helpers (send_arp, send_ua), as ocf-shellfuncs sets HA_BIN. */
export function haBin(env: NodeJS.ProcessEnv): string {
  return env.HA_BIN || '/usr/libexec/heartbeat';
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
