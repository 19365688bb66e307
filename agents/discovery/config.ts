import { readFileSync, statSync } from 'node:fs';
import type { ParamsOf } from '../../lib/definition.js';
import { Failure } from '../../lib/failure.js';
import type { PortaldConfig } from '../../lib/portald/config.js';
import type { definition } from './definition.js';

export type DiscoveryParams = ParamsOf<typeof definition>;

/** Host paths of the daemon's pid and log files (before they are resolved under the root), default per instance. Pure. */
export function pidfilePath(p: DiscoveryParams, instance: string): string {
  return p.pidfile ?? `/run/lioha/portald-${instance}.pid`;
}
export function logfilePath(p: DiscoveryParams, instance: string): string {
  return p.logfile ?? `/var/log/lioha/portald-${instance}.log`;
}

/**
 * Reads and checks the daemon's config file. A file missing on this node is 'installed'
 * (another node may have it); an invalid one is 'config'. The checker is imported here, not at load:
 * it pulls in node:net (and its stream modules), which a probe of a stopped daemon never needs.
 */
export async function loadPortaldConfig(p: DiscoveryParams, rootPath: (abs: string) => string): Promise<PortaldConfig> {
  const { ConfigError, hasSecrets, parseConfig } = await import('../../lib/portald/config.js');
  const path = rootPath(p.config);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Failure('installed', `config ${p.config} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const cfg = parseConfig(text, p.config);
    if (hasSecrets(cfg) && (statSync(path).mode & 0o077) !== 0) {
      throw new Failure('installed', `config ${p.config} holds CHAP secrets but is readable by others (chmod 600)`);
    }
    return cfg;
  } catch (e) {
    if (e instanceof ConfigError) throw new Failure('config', `config invalid: ${e.errors[0]}${e.errors.length > 1 ? ` (+${e.errors.length - 1} more)` : ''}`);
    throw e;
  }
}
