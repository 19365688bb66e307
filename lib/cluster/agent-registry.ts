/**
 * The lioha agents a volume-group group is built from, by member role. Only the
 * light definition modules are imported (no agent code), so the CLI stays fast.
 */
import type { AgentDefinition } from '../ocf/definition.js';
import type { MemberRole } from './description.js';
import { definition as vg } from '../../agents/vg/definition.js';
import { definition as ddmap } from '../../agents/ddmap/definition.js';
import { definition as target } from '../../agents/target/definition.js';
import { definition as portal } from '../../agents/portal/definition.js';
import { definition as discovery } from '../../agents/discovery/definition.js';

export type AgentRegistry = Readonly<Partial<Record<MemberRole | 'discovery', AgentDefinition>>>;

/** The OCF provider the agents are installed under (/usr/lib/ocf/resource.d/lioha). */
export const LIOHA_PROVIDER = 'lioha';

export const AGENTS: AgentRegistry = { vg, ddmap, target, portal, discovery };
