import type { AgentDefinition } from '../definition.js';
import { Deadline } from './deadline.js';
import type { Logger } from '../log/logger.js';
import { Root } from '../sys/root.js';
import { isSet } from './params.js';

/** Everything an action needs to know about its invocation. */
export interface OcfContext<P> {
  action: string;
  params: P;
  /** OCF_RESOURCE_INSTANCE, or the agent name when run by hand without one. */
  instance: string;
  /** A monitor with interval 0: Pacemaker asking "is it running here?" */
  isProbe: boolean;
  intervalMs: number;
  /** OCF_CHECK_LEVEL: 0 (default), 10, 20. Agents fall back to the next lower level they implement. */
  checkLevel: number;
  timeoutMs: number;
  deadline: Deadline;
  root: Root;
  log: Logger;
  env: NodeJS.ProcessEnv;
}

const int = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '') return undefined;
  const n = Number.parseInt(s, 10);
  return Number.isFinite(n) ? n : undefined;
};

/** The definition's default timeout for the action (ms). */
function defaultTimeoutMs(def: AgentDefinition, action: string): number {
  return (def.actions.find((x) => x.name === action)?.timeout ?? 20) * 1000;
}

/** The action's timeout: Pacemaker's (ms) if given, else the definition's (s). */
export function actionTimeoutMs(def: AgentDefinition, action: string, env: NodeJS.ProcessEnv): number {
  const fromPacemaker = int(env.OCF_RESKEY_CRM_meta_timeout);
  if (fromPacemaker && fromPacemaker > 0) return fromPacemaker;
  return defaultTimeoutMs(def, action);
}

/** The action's timeout over the definition's default for it, within 1..10 (see Deadline.stepScale). */
export function stepScaleOf(def: AgentDefinition, action: string, timeoutMs: number): number {
  return Math.min(10, Math.max(1, timeoutMs / defaultTimeoutMs(def, action)));
}

/**
 * A time limit that is a parameter (ms). Set, it is the administrator's word and stays as given;
 * left unset, its default is a limit chosen for normal hardware like a built-in step's, and scales
 * with the operation's timeout the same way (Deadline.stepScale).
 */
export function paramLimitMs(ctx: Pick<OcfContext<unknown>, 'env' | 'deadline'>, name: string, valueMs: number): number {
  return isSet(ctx.env, name) ? valueMs : valueMs * ctx.deadline.stepScale;
}

export function invocation(def: AgentDefinition, action: string, env: NodeJS.ProcessEnv) {
  const intervalMs = int(env.OCF_RESKEY_CRM_meta_interval) ?? 0;
  const timeoutMs = actionTimeoutMs(def, action, env);
  return {
    action,
    instance: env.OCF_RESOURCE_INSTANCE || def.name,
    intervalMs,
    isProbe: action === 'monitor' && intervalMs === 0,
    checkLevel: int(env.OCF_CHECK_LEVEL) ?? 0,
    timeoutMs,
    deadline: new Deadline(timeoutMs, undefined, undefined, stepScaleOf(def, action, timeoutMs)),
    root: new Root(env.LIOHA_ROOT || env.OCF_RESKEY_CRM_meta_lioha_root || '/'),
  };
}
