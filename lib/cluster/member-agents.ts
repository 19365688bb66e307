/**
 * The agent definitions a volume-group group is built from, by member role. lib
 * never imports agents/: the caller (the CLI, through agents/registry.ts) passes them in.
 */
import type { AgentDefinition } from '../definition.js';
import type { MemberRole } from './description.js';

export type AgentRegistry = Readonly<Partial<Record<MemberRole | 'discovery', AgentDefinition>>>;

/** The OCF provider the agents are installed under (/usr/lib/ocf/resource.d/lioha). */
export const LIOHA_PROVIDER = 'lioha';
