/**
 * `lioha cluster check` across groups: reads each group's target configurations where this
 * machine can (a file on a group's metadata filesystem is mounted only where the group runs) and
 * looks for the clashes identity-clash.ts knows. A file that cannot be read here is noted, not
 * refused; a file that is not a configuration is refused (the target agent refuses it on every node).
 */
import { statSync } from 'node:fs';
import { readConfig } from '../configfs/config-file.js';
import { ConfigError, type SaveConfig } from '../configfs/saveconfig.js';
import { Failure } from '../failure.js';
import { parseValue } from '../param-value.js';
import { ISCSI_PORT, portalPort, targetResources } from './build-plan.js';
import type { ClusterDescription, VolumeGroupSpec } from './description.js';
import { onMetadataFilesystem } from './group-storage.js';
import { identityClashes, unownable, type GroupPortals, type ResourceConfig } from './identity-clash.js';

export interface CrossGroupCheck {
  /** One message per clash or unusable configuration: the description must not be used as it is. */
  readonly errors: readonly string[];
  /** Files and targets that were not checked, and why. */
  readonly notes: readonly string[];
}

const DERIVE_WWN = { name: 'derive_wwn', type: 'boolean', shortdesc: '', longdesc: '' } as const;

type Read = { cfg: SaveConfig } | { unreadable: string } | { invalid: string };

/** Why a configuration cannot be read here, in words an admin acts on. */
function unreadable(v: VolumeGroupSpec, path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return onMetadataFilesystem(v, path)
      ? `it is on the metadata filesystem of ${v.vg}, which is mounted only where group ${v.group} runs`
      : 'it does not exist on this machine';
  }
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (run the check as root)';
  if (e instanceof Failure) return e.reason;
  return code ?? (e instanceof Error ? e.message : String(e));
}

function readOne(v: VolumeGroupSpec, path: string): Read {
  try {
    statSync(path); // readConfig words a missing file for an agent; here the errno says why
    return { cfg: readConfig(path, path) };
  } catch (e) {
    if (e instanceof ConfigError) return { invalid: e.problems.join('; ') };
    return { unreadable: unreadable(v, path, e) };
  }
}

export function crossGroupCheck(d: ClusterDescription): CrossGroupCheck {
  // One group and no discovery address: nothing to compare (the target agent checks a group's own file).
  if (d.volumeGroups.length < 2 && !d.discovery) return { errors: [], notes: [] };
  const errors: string[] = [];
  const notes: string[] = [];
  const cache = new Map<string, Read>();
  const resources: ResourceConfig[] = [];
  const portals: GroupPortals[] = [];
  for (const v of d.volumeGroups) {
    const rawDerive = v.params.target?.['derive_wwn'];
    const deriveWwn = rawDerive !== undefined && parseValue(DERIVE_WWN, rawDerive) === true;
    for (const [config, iqns] of targetResources(v)) {
      let read = cache.get(config);
      if (!read) cache.set(config, (read = readOne(v, config)));
      if ('unreadable' in read) notes.push(`${config} (group ${v.group}) was not checked against the other groups: ${read.unreadable}`);
      else if ('invalid' in read) errors.push(`${config} (group ${v.group}) is not a usable configuration: ${read.invalid}`);
      else {
        const r: ResourceConfig = { group: v.group, config, iqns, deriveWwn, cfg: read.cfg };
        notes.push(...unownable(r));
        resources.push(r);
      }
    }
    portals.push({ group: v.group, addresses: v.portals.map((p) => ({ ip: p.ip, port: portalPort(v, p) })) });
  }
  if (d.discovery) {
    portals.push({ group: d.discovery.group, addresses: [{ ip: d.discovery.ip, port: d.discovery.port ?? ISCSI_PORT }], daemon: 'lioha-portald' });
  }
  errors.push(...identityClashes(resources, portals));
  return { errors, notes };
}

/** The refusal: the verdict, then one line per problem. */
export class ClusterClashError extends Error {
  constructor(readonly errors: readonly string[], verdict: string) {
    super(`${verdict}: ${errors.length} problem${errors.length === 1 ? '' : 's'} in the groups' target configurations:\n${errors.map((e) => `  ${e}`).join('\n')}`);
    this.name = 'ClusterClashError';
  }
}
