import type { ParamsOf } from '../../lib/ocf/definition.js';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import { createTargetActions } from '../../lib/target/target-agent.js';
import type { definition } from './definition.js';

export const actions: AgentActions<ParamsOf<typeof definition>> = createTargetActions();
