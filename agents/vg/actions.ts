import type { ParamsOf } from '../../lib/definition.js';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import type { definition } from './definition.js';
import { vgConfig } from './config.js';
import { monitor } from './monitor.js';
import { start } from './start.js';
import { stop } from './stop.js';

export const actions: AgentActions<ParamsOf<typeof definition>> = {
  start,
  stop,
  monitor,
  // Parameter checks only: validate-all must not inspect the environment at level 0.
  validate: async (ctx) => {
    vgConfig(ctx.params);
    return OcfExit.SUCCESS;
  },
};
