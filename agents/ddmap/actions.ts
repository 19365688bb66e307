import type { ParamsOf } from '../../lib/definition.js';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { isLvmName } from '../../lib/names.js';
import { DdmapService } from '../../lib/ddmap/service.js';
import type { definition } from './definition.js';

type Ctx = OcfContext<ParamsOf<typeof definition>>;

function service(ctx: Ctx): DdmapService {
  const p = ctx.params;
  return new DdmapService(
    {
      vg: p.vgname,
      stateDir: p.state_dir,
      backend: p.backend,
      targets: p.targets,
      lvs: p.lvs,
      mapTimeoutMs: p.map_timeout,
      instance: ctx.instance,
    },
    { root: ctx.root, log: ctx.log, budget: (ms) => ctx.deadline.budget(ms) },
  );
}

async function validate(ctx: Ctx): Promise<OcfExit> {
  const p = ctx.params;
  if (!isLvmName(p.vgname)) {
    throw new Failure('config', `parameter vgname: '${p.vgname}' is not a valid volume group name`);
  }
  if (!p.state_dir.startsWith('/')) throw new Failure('config', `parameter state_dir: '${p.state_dir}' is not an absolute path`);
  if (p.map_timeout <= 0) throw new Failure('config', `parameter map_timeout: must be > 0 ms, got ${p.map_timeout}`);
  return OcfExit.SUCCESS;
}

export const actions: AgentActions<ParamsOf<typeof definition>> = {
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
