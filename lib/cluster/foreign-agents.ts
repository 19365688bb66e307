/**
 * Agents lioha wires but does not ship: the DRBD promotable clone and its stand-in
 * for machines without DRBD. Their actions are copied from the installed
 * meta-data (drbd-utils 9.22 drbd.ocf "LINBIT 1.4", Pacemaker 2.1.5 Stateful); a
 * test compares them with what crm_resource reports on this machine.
 */
import type { ActionDef } from '../definition.js';
import type { AgentRef } from './plan.js';

export interface ForeignAgent {
  readonly ref: AgentRef;
  readonly actions: readonly ActionDef[];
  /** Parameter naming the DRBD resource, when the agent takes one. */
  readonly resourceParam?: string;
}

export const DRBD_AGENT: ForeignAgent = {
  ref: { standard: 'ocf', provider: 'linbit', type: 'drbd' },
  resourceParam: 'drbd_resource',
  actions: [
    { name: 'start', timeout: 240 },
    { name: 'reload', timeout: 30 },
    { name: 'promote', timeout: 90 },
    { name: 'demote', timeout: 90 },
    { name: 'notify', timeout: 90 },
    { name: 'stop', timeout: 100 },
    { name: 'monitor', timeout: 20, interval: 20, role: 'Unpromoted' },
    { name: 'monitor', timeout: 20, interval: 10, role: 'Promoted' },
    { name: 'meta-data', timeout: 5 },
  ],
};

/** ocf:pacemaker:Stateful: a promotable resource with no DRBD behind it, for sandboxes. */
export const STATEFUL_AGENT: ForeignAgent = {
  ref: { standard: 'ocf', provider: 'pacemaker', type: 'Stateful' },
  actions: [
    { name: 'start', timeout: 20 },
    { name: 'stop', timeout: 20 },
    { name: 'monitor', depth: 0, timeout: 20, interval: 10, role: 'Promoted' },
    { name: 'monitor', depth: 0, timeout: 20, interval: 11, role: 'Unpromoted' },
    { name: 'promote', timeout: 10 },
    { name: 'demote', timeout: 10 },
    { name: 'notify', timeout: 5 },
    { name: 'meta-data', timeout: 5 },
    { name: 'reload-agent', timeout: 10 },
    { name: 'validate-all', timeout: 30 },
  ],
};
