import type { ParamsOf } from '../../lib/definition.js';
import { Failure } from '../../lib/failure.js';
import { isLvmName } from '../../lib/names.js';
import type { DdmapSettings } from '../../lib/ddmap/service.js';
import type { definition } from './definition.js';

export type DdmapParams = ParamsOf<typeof definition>;

/** Refuses parameters the service cannot work with (a Failure of kind config). Pure. */
export function checkDdmapParams(p: DdmapParams): void {
  if (!isLvmName(p.vgname)) {
    throw new Failure('config', `parameter vgname: '${p.vgname}' is not a valid volume group name`);
  }
  if (!p.state_dir.startsWith('/')) throw new Failure('config', `parameter state_dir: '${p.state_dir}' is not an absolute path`);
  if (p.map_timeout <= 0) throw new Failure('config', `parameter map_timeout: must be > 0 ms, got ${p.map_timeout}`);
}

/** The agent's parameters as the change-map service's settings. Pure. */
export function ddmapSettings(p: DdmapParams, instance: string): DdmapSettings {
  return {
    vg: p.vgname,
    stateDir: p.state_dir,
    backend: p.backend,
    targets: p.targets,
    lvs: p.lvs,
    mapTimeoutMs: p.map_timeout,
    instance,
  };
}
