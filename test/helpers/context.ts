import type { AgentDefinition, ParamsOf } from '../../lib/definition.js';
import { stepScaleOf, type OcfContext } from '../../lib/ocf/context.js';
import { Deadline } from '../../lib/ocf/deadline.js';
import { Root } from '../../lib/sys/root.js';
import type { Logger } from '../../lib/log/logger.js';
import { parseParams } from '../../lib/ocf/params.js';

export interface LogLine {
  level: string;
  msg: string;
  fields?: object;
}

/** A logger that records lines in memory, for assertions (e.g. that no secret is logged). */
export function memoryLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const make = (bound: object): Logger => ({
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields: { ...bound, ...fields } }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields: { ...bound, ...fields } }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields: { ...bound, ...fields } }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields: { ...bound, ...fields } }),
    child: (fields) => make({ ...bound, ...fields }),
    flush: async () => {},
  });
  return Object.assign(make({}), { lines });
}

export interface ContextOptions {
  /** Raw OCF_RESKEY_* values (strings), parsed with the definition like the real dispatch does. */
  params?: Record<string, string>;
  root?: string;
  action?: string;
  checkLevel?: number;
  isProbe?: boolean;
  /** The op timeout (ms); its ratio to the definition's default gives the step scale, as in dispatch. */
  timeoutMs?: number;
  instance?: string;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

/** An OcfContext for calling an agent's action functions in-process. */
export function makeContext<D extends AgentDefinition>(def: D, o: ContextOptions = {}): OcfContext<ParamsOf<D>> & { log: Logger } {
  const env: NodeJS.ProcessEnv = { ...o.env };
  for (const [k, v] of Object.entries(o.params ?? {})) env[`OCF_RESKEY_${k}`] = v;
  const timeoutMs = o.timeoutMs ?? 20_000;
  const action = o.action ?? 'monitor';
  return {
    action,
    params: parseParams(def, env) as ParamsOf<D>,
    instance: o.instance ?? `test-${def.name}`,
    isProbe: o.isProbe ?? false,
    intervalMs: o.isProbe ? 0 : 10_000,
    checkLevel: o.checkLevel ?? 0,
    timeoutMs,
    deadline: new Deadline(timeoutMs, undefined, undefined, stepScaleOf(def, action, timeoutMs)),
    root: new Root(o.root ?? '/'),
    log: o.log ?? memoryLogger(),
    env,
  };
}
