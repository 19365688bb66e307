/**
 * lioha-portald configuration (read by the daemon and by ocf:lioha:discovery): a small JSON file. Parsing is pure and reports
 * every problem with its JSON path ($.portals[0].backends[1]: ...), so a
 * broken file is refused as a whole and changes nothing.
 */
import { isIP } from 'node:net';
import { parseTargetAddress, type PortalAddress } from '../iscsi/address.js';
import { isIscsiName } from '../names.js';
import { JsonCheck, isJsonObject, type JsonObject } from '../json-check.js';

export interface ChapConfig {
  readonly username: string;
  readonly password: string;
  readonly mutualUsername?: string;
  readonly mutualPassword?: string;
}

export interface DiscoveryPortal {
  /** Address portald listens on (the discovery VIP); 0.0.0.0 or :: for all. */
  readonly address: string;
  readonly port: number;
  /** Portal group tag in the TargetAddress portald hands out. */
  readonly tag: number;
  /** The network portals of the cluster's targets, asked with SendTargets. */
  readonly backends: readonly PortalAddress[];
}

export interface Limits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxRecvDataSegmentLength: number;
  readonly loginTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly maxBackendQueries: number;
}

export interface PortaldConfig {
  readonly portals: readonly DiscoveryPortal[];
  readonly removedTargets: readonly string[];
  /** CHAP demanded of initiators for discovery sessions. */
  readonly chap?: ChapConfig;
  /** CHAP portald uses for its own discovery sessions to the back-end portals. */
  readonly backendChap?: ChapConfig;
  readonly redirect: 'temporary' | 'permanent';
  /** How long what the back-ends reported for one initiator is reused. */
  readonly stateSeconds: number;
  readonly backendTimeoutMs: number;
  /** Delay before answering "service unavailable", so initiators do not spin. */
  readonly unavailableDelayMs: number;
  readonly limits: Limits;
}

export const DEFAULT_LIMITS: Limits = {
  maxConnections: 256,
  maxConnectionsPerAddress: 16,
  maxRecvDataSegmentLength: 65536,
  loginTimeoutSeconds: 10,
  idleTimeoutSeconds: 30,
  maxBackendQueries: 32,
};

export class ConfigError extends Error {
  constructor(readonly errors: readonly string[], source = 'portald configuration') {
    super(`${source} is invalid:\n  ${errors.join('\n  ')}`);
  }
}

type Obj = JsonObject;
const isObj = isJsonObject;

/** lib/json-check plus the two value checks this file needs. */
class Checker extends JsonCheck {
  get errors(): readonly string[] {
    return this.problems;
  }
  add(path: string, msg: string): void {
    this.bad(path, msg);
  }
  keys(o: Obj, allowed: readonly string[], path: string): void {
    this.fields(o, path, ['$comment', ...allowed], true);
  }
  int(o: Obj, k: string, path: string, min: number, max: number, dflt: number): number {
    const v = o[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.add(`${path}.${k}`, `must be an integer from ${min} to ${max}`);
      return dflt;
    }
    return v;
  }
  str(o: Obj, k: string, path: string, required: boolean, max = 255): string | undefined {
    const v = o[k];
    if (v === undefined) {
      if (required) this.add(`${path}.${k}`, 'is required');
      return undefined;
    }
    if (typeof v !== 'string' || v === '' || Buffer.byteLength(v) > max || /[\x00-\x1f\x7f]/.test(v)) {
      this.add(`${path}.${k}`, `must be a non-empty string of at most ${max} bytes without control characters`);
      return undefined;
    }
    return v;
  }
}

function chap(v: unknown, path: string, c: Checker): ChapConfig | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) {
    c.add(path, 'must be an object');
    return undefined;
  }
  c.keys(v, ['username', 'password', 'mutualUsername', 'mutualPassword'], path);
  const username = c.str(v, 'username', path, true);
  const password = c.str(v, 'password', path, true);
  const mutualUsername = c.str(v, 'mutualUsername', path, false);
  const mutualPassword = c.str(v, 'mutualPassword', path, false);
  if ((mutualUsername === undefined) !== (mutualPassword === undefined)) c.add(path, 'mutualUsername and mutualPassword go together');
  // RFC 7143 12.1.3: the secret used in one direction must not be the one used in the other.
  if (password !== undefined && password === mutualPassword) c.add(`${path}.mutualPassword`, 'must differ from password');
  if (!username || !password) return undefined;
  return { username, password, ...(mutualUsername && mutualPassword && { mutualUsername, mutualPassword }) };
}

export function parseConfig(text: string, source?: string): PortaldConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`$: not valid JSON: ${(e as Error).message}`], source);
  }
  const c = new Checker();
  if (!isObj(raw)) throw new ConfigError(['$: must be a JSON object'], source);
  c.keys(raw, ['portals', 'removedTargets', 'chap', 'backendChap', 'redirect', 'stateSeconds', 'backendTimeoutMs', 'unavailableDelayMs', 'limits'], '$');

  const portals: DiscoveryPortal[] = [];
  const rawPortals = raw['portals'];
  if (!Array.isArray(rawPortals) || rawPortals.length === 0) c.add('$.portals', 'must be a non-empty list');
  else {
    if (rawPortals.length > 64) c.add('$.portals', 'at most 64 discovery portals');
    rawPortals.slice(0, 64).forEach((p, i) => {
      const path = `$.portals[${i}]`;
      if (!isObj(p)) return c.add(path, 'must be an object');
      c.keys(p, ['address', 'port', 'tag', 'backends'], path);
      const address = c.str(p, 'address', path, true);
      if (address !== undefined && !isIP(address)) c.add(`${path}.address`, `${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
      const port = c.int(p, 'port', path, 1, 65535, 3260);
      const tag = c.int(p, 'tag', path, 1, 65535, 1);
      const backends: PortalAddress[] = [];
      const rb = p['backends'];
      if (!Array.isArray(rb) || rb.length === 0) c.add(`${path}.backends`, 'must be a non-empty list of "address[:port]"');
      else {
        if (rb.length > 64) c.add(`${path}.backends`, 'at most 64 back-end portals');
        rb.slice(0, 64).forEach((b, j) => {
          const a = typeof b === 'string' ? parseTargetAddress(b) : undefined;
          if (!a || !isIP(a.host) || a.tag !== undefined) c.add(`${path}.backends[${j}]`, `${JSON.stringify(b)} is not "ip[:port]" (IPv6 as [addr]:port)`);
          else backends.push(a);
        });
      }
      if (address !== undefined && isIP(address)) {
        if (portals.some((q) => q.address === address && q.port === port)) c.add(path, `${address} port ${port} is listed twice`);
        portals.push({ address, port, tag, backends });
      }
    });
  }

  const removedTargets: string[] = [];
  const rr = raw['removedTargets'];
  if (rr !== undefined) {
    if (!Array.isArray(rr)) c.add('$.removedTargets', 'must be a list of iSCSI names');
    else {
      rr.forEach((t, i) => {
        if (typeof t !== 'string' || !isIscsiName(t)) c.add(`$.removedTargets[${i}]`, `${JSON.stringify(t)} is not an iSCSI name (iqn., eui., naa.)`);
        else removedTargets.push(t);
      });
    }
  }

  const redirect = raw['redirect'] ?? 'temporary';
  if (redirect !== 'temporary' && redirect !== 'permanent') c.add('$.redirect', 'must be "temporary" or "permanent"');

  let limits = DEFAULT_LIMITS;
  const rl = raw['limits'];
  if (rl !== undefined) {
    if (!isObj(rl)) c.add('$.limits', 'must be an object');
    else {
      c.keys(rl, Object.keys(DEFAULT_LIMITS), '$.limits');
      const d = DEFAULT_LIMITS;
      limits = {
        maxConnections: c.int(rl, 'maxConnections', '$.limits', 1, 65536, d.maxConnections),
        maxConnectionsPerAddress: c.int(rl, 'maxConnectionsPerAddress', '$.limits', 1, 65536, d.maxConnectionsPerAddress),
        // RFC 7143 13.12: 512 to 2^24-1.
        maxRecvDataSegmentLength: c.int(rl, 'maxRecvDataSegmentLength', '$.limits', 512, 16777215, d.maxRecvDataSegmentLength),
        loginTimeoutSeconds: c.int(rl, 'loginTimeoutSeconds', '$.limits', 1, 300, d.loginTimeoutSeconds),
        idleTimeoutSeconds: c.int(rl, 'idleTimeoutSeconds', '$.limits', 1, 3600, d.idleTimeoutSeconds),
        maxBackendQueries: c.int(rl, 'maxBackendQueries', '$.limits', 1, 1024, d.maxBackendQueries),
      };
    }
  }

  const cfg: PortaldConfig = {
    portals,
    removedTargets,
    ...(raw['chap'] !== undefined && { chap: chap(raw['chap'], '$.chap', c) }),
    ...(raw['backendChap'] !== undefined && { backendChap: chap(raw['backendChap'], '$.backendChap', c) }),
    redirect: redirect === 'permanent' ? 'permanent' : 'temporary',
    // The seed used 5 s; it must stay well under a failover's duration so a moved target is seen at once.
    stateSeconds: c.int(raw, 'stateSeconds', '$', 0, 60, 5),
    backendTimeoutMs: c.int(raw, 'backendTimeoutMs', '$', 100, 60000, 3000),
    unavailableDelayMs: c.int(raw, 'unavailableDelayMs', '$', 0, 30000, 2000),
    limits,
  };
  if (cfg.backendTimeoutMs >= cfg.limits.loginTimeoutSeconds * 1000) {
    c.add('$.backendTimeoutMs', `must be shorter than limits.loginTimeoutSeconds (${cfg.limits.loginTimeoutSeconds} s)`);
  }
  if (c.errors.length > 0) throw new ConfigError(c.errors, source);
  return cfg;
}

/** True when the file holds a secret (and so must not be readable by others). */
export function hasSecrets(cfg: PortaldConfig): boolean {
  return cfg.chap !== undefined || cfg.backendChap !== undefined;
}
