/**
 * The lioha-portald configuration file derived from the cluster description, so the
 * back-end list never drifts from the volume groups' portals: one discovery portal on
 * the description's discovery address, whose back-ends are the distinct portal
 * addresses of every volume group in description order. Settings the description
 * cannot derive (timeouts, limits, CHAP, removed targets) come from the optional
 * `discovery.portald` object. The result goes through portald's own validator
 * (lib/portald/config.ts), so the file written is exactly one the daemon accepts.
 */
import { formatHostPort } from '../iscsi/address.js';
import { ConfigError, hasSecrets, parseConfig, type PortaldConfig } from '../portald/config.js';
import { ISCSI_PORT, portalPort } from './build-plan.js';
import type { ClusterDescription } from './description.js';


/** Fields of the portald file a description may set in `discovery.portald`; `portals` is always generated. */
export const PORTALD_SETTINGS = [
  'removedTargets', 'chap', 'backendChap', 'redirect', 'stateSeconds', 'backendTimeoutMs', 'unavailableDelayMs', 'limits',
] as const;

export class NoDiscoveryError extends Error {
  constructor(source = 'cluster description') {
    super(`${source} has no discovery section: add "discovery": {"ip": ..., "config": ...} to run a discovery portal`);
  }
}

export interface PortaldFile {
  /** The JSON object as written to the file (key order: portals first, then the settings). */
  readonly json: Readonly<Record<string, unknown>>;
  /** What portald will read from it (validated). */
  readonly config: PortaldConfig;
  /** True when it holds CHAP secrets: the file must then be 0600. */
  readonly secret: boolean;
  /** Where the description says the daemon reads it (discovery.config). */
  readonly path: string;
}

/** Problems of a settings object, each with its path under `discovery.portald`; [] when it is fine. */
export function portaldSettingsProblems(settings: Readonly<Record<string, unknown>>): { path: string; message: string }[] {
  const problems = Object.keys(settings)
    .filter((k) => k !== '$comment' && !(PORTALD_SETTINGS as readonly string[]).includes(k))
    .map((k) => ({
      path: `discovery.portald.${k}`,
      message: `unknown field (expected one of: ${PORTALD_SETTINGS.join(', ')}; portals are generated from the volume groups)`,
    }));
  if (problems.length > 0) return problems;
  try {
    // A placeholder portal: only the settings are checked here.
    parseConfig(JSON.stringify({ ...settings, portals: [{ address: '127.0.0.1', backends: ['127.0.0.1'] }] }));
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // portald's wording is "$.path: message"
    return e.errors.map((m) => {
      const at = m.indexOf(': ');
      return { path: m.slice(0, at).replace(/^\$/, 'discovery.portald'), message: m.slice(at + 2) };
    });
  }
}

/** Distinct "ip:port" of every volume group's portals (IPv6 as [addr]:port), in description order. */
export function backendAddresses(d: ClusterDescription): string[] {
  const out: string[] = [];
  for (const v of d.volumeGroups) {
    for (const p of v.portals) {
      const a = formatHostPort(p.ip, portalPort(v, p));
      if (!out.includes(a)) out.push(a);
    }
  }
  return out;
}

/** The portald file for a parsed description; throws NoDiscoveryError or portald's ConfigError. */
export function portaldFileFor(d: ClusterDescription, source?: string): PortaldFile {
  const disc = d.discovery;
  if (!disc) throw new NoDiscoveryError(source);
  const backends = backendAddresses(d);
  const json: Record<string, unknown> = {
    portals: [{ address: disc.ip, port: disc.port ?? ISCSI_PORT, tag: 1, backends }],
    ...disc.portald,
  };
  delete json['$comment'];
  const config = parseConfig(JSON.stringify(json), `portald configuration generated from ${source ?? 'the cluster description'}`);
  return { json, config, secret: hasSecrets(config), path: disc.config };
}

/** The file's text: two-space JSON with a final newline. */
export function portaldFileText(f: PortaldFile): string {
  return `${JSON.stringify(f.json, null, 2)}\n`;
}
