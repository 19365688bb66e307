/**
 * The one list of lioha agents: the build (bundles, meta-data, man pages), the cluster
 * generator and the CLI all read it. Only the light definitions are imported here;
 * the actions load lazily, so listing agents never pulls in agent code.
 */
import type { AgentDefinition } from '../lib/definition.js';
import type { AgentActions } from '../lib/ocf/dispatch.js';
import type { AgentRegistry } from '../lib/cluster/member-agents.js';
import { definition as ddmap } from './ddmap/definition.js';
import { definition as discovery } from './discovery/definition.js';
import { definition as dummy } from './dummy/definition.js';
import { definition as portal } from './portal/definition.js';
import { definition as target } from './target/definition.js';
import { definition as vg } from './vg/definition.js';

export interface AgentEntry {
  readonly name: string;
  readonly definition: AgentDefinition;
  /** Bundle entry, relative to the repository: agents/<name>/main.ts. */
  readonly entry: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly actions: () => Promise<AgentActions<any>>;
}

function entry(definition: AgentDefinition, actions: AgentEntry['actions']): AgentEntry {
  return { name: definition.name, definition, entry: `agents/${definition.name}/main.ts`, actions };
}

/** Every agent, by name order. */
export const REGISTRY: readonly AgentEntry[] = [
  entry(ddmap, async () => (await import('./ddmap/actions.js')).actions),
  entry(discovery, async () => (await import('./discovery/actions.js')).actions),
  entry(dummy, async () => (await import('./dummy/actions.js')).actions),
  entry(portal, async () => (await import('./portal/actions.js')).actions),
  entry(target, async () => (await import('./target/actions.js')).actions),
  entry(vg, async () => (await import('./vg/actions.js')).actions),
];

/** The agents a volume-group group is made of, by member role (for the cluster generator). */
export const AGENTS: AgentRegistry = { vg, ddmap, target, portal, discovery };
