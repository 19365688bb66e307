import type { ParamsOf } from '../../lib/definition.js';
import { Failure } from '../../lib/failure.js';
import { isLvmName } from '../../lib/names.js';
import { parseExtraDevices } from '../../lib/lvm/config.js';
import { eraDeviceName } from '../../lib/ddmap/backends/era/names.js';
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
  for (const lv of p.lvs) {
    if (!isLvmName(lv)) throw new Failure('config', `parameter lvs: '${lv}' is not a valid logical volume name`);
  }
  try {
    parseExtraDevices(p.extra_devices);
  } catch (e) {
    throw new Failure('config', `parameter extra_devices: ${(e as Error).message}`);
  }
  if (p.backend === 'era') {
    if (p.lvs.length === 0) throw new Failure('config', 'parameter lvs: backend=era needs the logical volumes to track');
    if (p.targets.length) throw new Failure('config', 'parameter targets: not used with backend=era (it tracks the LVs in lvs)');
    for (const lv of p.lvs) {
      try {
        eraDeviceName(p.vgname, lv);
      } catch (e) {
        throw new Failure('config', `parameter lvs: ${(e as Error).message}`);
      }
    }
  }
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
    lvm: { extraAccept: parseExtraDevices(p.extra_devices) },
  };
}
