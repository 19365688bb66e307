import type { AgentActions } from '../../lib/ocf/dispatch.js';
import { paramLimitMs, type OcfContext } from '../../lib/ocf/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { DdmapService } from '../../lib/ddmap/service.js';
import { checkDdmapParams, ddmapSettings, type DdmapParams } from './config.js';
import { execFor } from './exec.js';

type Ctx = OcfContext<DdmapParams>;

function service(ctx: Ctx): DdmapService {
  // map_timeout as set, or its default scaled like a built-in step (a slow node's era commands take longer).
  const mapTimeoutMs = paramLimitMs(ctx, 'map_timeout', ctx.params.map_timeout);
  return new DdmapService({ ...ddmapSettings(ctx.params, ctx.instance), mapTimeoutMs }, {
    root: ctx.root,
    log: ctx.log,
    budget: (ms) => ctx.deadline.budget(ms),
    exec: execFor(ctx),
    toolEnv: ctx.env,
  });
}

async function validate(ctx: Ctx): Promise<OcfExit> {
  checkDdmapParams(ctx.params);
  return OcfExit.SUCCESS;
}

export const actions: AgentActions<DdmapParams> = {
  validate,
  async start(ctx) {
    await service(ctx).start();
    return OcfExit.SUCCESS;
  },
  async stop(ctx) {
    const r = await service(ctx).stop();
    if (r.saved.length) {
      const worst = Math.max(...r.saved.map((s) => s.suspendMs));
      ctx.log.info(`saved ${r.saved.length} map(s); longest suspend ${worst.toFixed(2)} ms`);
    }
    return OcfExit.SUCCESS;
  },
  async monitor(ctx) {
    await validate(ctx);
    return (await service(ctx).monitor()) === 'running' ? OcfExit.SUCCESS : OcfExit.NOT_RUNNING;
  },
};
