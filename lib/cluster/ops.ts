/**
 * Operations for the CIB taken from an agent's advertised actions, so timeouts
 * and intervals live in one place (the agent's definition / meta-data).
 */
import type { ActionDef } from '../definition.js';
import type { OpName, PlanOp } from './plan.js';

const SCHEDULED: readonly OpName[] = ['start', 'stop', 'promote', 'demote', 'notify', 'monitor'];

/**
 * The operations Pacemaker schedules (start, stop, promote, demote, notify and
 * recurring monitors), with their timeouts. meta-data, validate-all, reload and
 * probes need no CIB entry. Throws if two recurring monitors would collide
 * (Pacemaker identifies an operation by name + interval).
 */
export function opsFromActions(agent: string, actions: readonly ActionDef[]): PlanOp[] {
  const ops: PlanOp[] = [];
  for (const a of actions) {
    if (!(SCHEDULED as readonly string[]).includes(a.name)) continue;
    const name = a.name as OpName;
    if (name === 'monitor') {
      if (!a.interval) continue; // a probe-only entry; Pacemaker probes without one
      if (ops.some((o) => o.name === 'monitor' && o.interval === a.interval)) {
        throw new Error(`${agent}: two recurring monitors with interval ${a.interval}s; Pacemaker cannot tell them apart`);
      }
      ops.push({
        name,
        interval: a.interval,
        timeout: a.timeout,
        ...(a.role && { role: a.role }),
        ...(a.depth && { depth: a.depth }),
      });
    } else if (!ops.some((o) => o.name === name)) {
      ops.push({ name, interval: 0, timeout: a.timeout });
    }
  }
  for (const must of ['start', 'stop'] as const) {
    if (!ops.some((o) => o.name === must)) throw new Error(`${agent}: advertises no ${must} action`);
  }
  if (!ops.some((o) => o.name === 'monitor')) throw new Error(`${agent}: advertises no recurring monitor`);
  // Stable order for the scripts: start, stop, promote, demote, notify, monitors by interval.
  return ops.sort(
    (x, y) => SCHEDULED.indexOf(x.name) - SCHEDULED.indexOf(y.name) || x.interval - y.interval,
  );
}
