/** One call from description text to a pcs or crmsh script, with the agents of agents/registry.ts. */
import { AGENTS } from '../../agents/registry.js';
import type { AgentRegistry } from '../../lib/cluster/member-agents.js';
import { buildPlan, type PlanOptions } from '../../lib/cluster/build-plan.js';
import { crossGroupCheck, type CrossGroupCheck } from '../../lib/cluster/group-configs.js';
import { parseDescriptionOrThrow } from '../../lib/cluster/parse-description.js';
import type { ClusterPlan } from '../../lib/cluster/plan.js';
import { renderCrm } from '../../lib/cluster/render-crm.js';
import { renderPcs } from '../../lib/cluster/render-pcs.js';

export type ScriptKind = 'pcs' | 'crm';

export interface GenerateOptions extends PlanOptions {
  /** Name of the description for messages (its path). */
  readonly source: string;
  /** The command line recorded in the script header. */
  readonly command: string;
  readonly agents?: AgentRegistry;
}

export function planFromText(text: string, opts: Omit<GenerateOptions, 'command'>): ClusterPlan {
  const d = parseDescriptionOrThrow(text, opts.source);
  return buildPlan(d, opts.agents ?? AGENTS, opts);
}

export function generateScript(kind: ScriptKind, text: string, opts: GenerateOptions): string {
  const plan = planFromText(text, opts);
  return kind === 'pcs' ? renderPcs(plan, opts) : renderCrm(plan, opts);
}

/**
 * Clashes between the groups' targets in their saveconfig files, read where this machine has them
 * (lib/cluster/group-configs.ts). Separate from the script generation, which never reads them.
 */
export function crossCheckFromText(text: string, source: string): CrossGroupCheck {
  return crossGroupCheck(parseDescriptionOrThrow(text, source));
}
