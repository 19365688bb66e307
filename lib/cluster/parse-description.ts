/**
 * Pure parser and validator for the cluster description (JSON text in, typed
 * description or a list of problems out). Every problem names where it is
 * (`volumeGroups[0].portals[1].ip`) so an administrator can fix the file.
 */
import { isIscsiName, isLvmName } from '../names.js';
import { JsonCheck, isJsonObject } from '../json-check.js';
import { isIP } from 'node:net';
import {
  DEFAULT_OPTIONS,
  MEMBER_ROLES,
  type ClusterDescription,
  type ClusterNode,
  type ClusterOptions,
  type DrbdResource,
  type FenceDevice,
  type MemberRole,
  NO_QUORUM_POLICIES,
  type NoQuorumPolicy,
  type PortalSpec,
  type TargetSpec,
  type VolumeGroupSpec,
} from './description.js';
import { parseDiscovery } from './discovery.js';

export type ParseResult =
  | { readonly ok: true; readonly description: ClusterDescription }
  | { readonly ok: false; readonly errors: readonly string[] };

export class DescriptionError extends Error {
  constructor(public readonly errors: readonly string[], source = 'cluster description') {
    super(`${source} is invalid:\n  ${errors.join('\n  ')}`);
  }
}

/** Parses and validates; throws DescriptionError listing every problem. */
export function parseDescriptionOrThrow(text: string, source?: string): ClusterDescription {
  const r = parseDescription(text);
  if (!r.ok) throw new DescriptionError(r.errors, source);
  return r.description;
}

// Pacemaker node names and CIB ids: no whitespace; ids must be XML NCNames.
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const XML_ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// Names checked by lib/names.ts (one VG-name rule, one iSCSI-name rule); descriptions use lower case names.
const VG_NAME: Check = { test: isLvmName };
const DRBD_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const IQN: Check = { test: (s) => isIscsiName(s) && s === s.toLowerCase() };
const SAFE_PATH = /^\/[A-Za-z0-9_.,+@%:/=-]*$/;
const NIC = /^[A-Za-z0-9_.:@-]{1,15}$/;
const FENCE_AGENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

type Json = unknown;
type Obj = Record<string, Json>;

class Collector extends JsonCheck {
  get errors(): string[] { return this.problems; }
  add(path: string, msg: string): void { this.bad(path, msg); }
}

const isObj = isJsonObject;

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${col}`;
}

/**
 * Where JSON.parse gives up (Node 20 does not always say): the shortest prefix
 * that fails for another reason than ending early. Binary search; only runs on
 * invalid input.
 */
function errorPosition(text: string): number {
  const failsInside = (n: number): boolean => {
    try {
      JSON.parse(text.slice(0, n));
      return false;
    } catch (e) {
      const msg = (e as Error).message;
      if (/end of JSON input/.test(msg)) return false;
      const at = /at position (\d+)/.exec(msg);
      return at ? Number(at[1]) < n : true;
    }
  };
  if (!failsInside(text.length)) return text.length; // it just ends too early
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsInside(mid)) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(0, lo - 1);
}

export function parseDescription(text: string): ParseResult {
  let raw: Json;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const pos = errorPosition(text);
    return { ok: false, errors: [`not valid JSON (${lineCol(text, pos)}): ${(e as Error).message}`] };
  }
  const c = new Collector();
  const d = validate(raw, c);
  return c.errors.length === 0 && d ? { ok: true, description: d } : { ok: false, errors: c.errors };
}

function unknownKeys(o: Obj, allowed: readonly string[], path: string, c: Collector): void {
  c.fields(o, path, allowed, true);
}

interface Check { test(s: string): boolean }

function str(o: Obj, key: string, path: string, c: Collector, re?: Check, what?: string): string | undefined {
  const v = o[key];
  const p = `${path}.${key}`.replace(/^\./, '');
  if (v === undefined) {
    c.add(p, 'is required');
    return undefined;
  }
  if (typeof v !== 'string' || v === '') {
    c.add(p, 'must be a non-empty string');
    return undefined;
  }
  if (re && !re.test(v)) {
    c.add(p, `${JSON.stringify(v)} is not ${what ?? 'valid'}`);
    return undefined;
  }
  return v;
}

function int(
  o: Obj, key: string, path: string, c: Collector, min: number, max: number, dflt?: number,
): number | undefined {
  const v = o[key];
  const p = `${path}.${key}`.replace(/^\./, '');
  if (v === undefined) {
    if (dflt === undefined) c.add(p, 'is required');
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    c.add(p, `must be an integer from ${min} to ${max}`);
    return undefined;
  }
  return v;
}

function bool(o: Obj, key: string, path: string, c: Collector, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') {
    c.add(`${path}.${key}`.replace(/^\./, ''), 'must be true or false');
    return dflt;
  }
  return v;
}

function arr(o: Obj, key: string, path: string, c: Collector, minLen: number): Json[] {
  const v = o[key];
  const p = `${path}.${key}`.replace(/^\./, '');
  if (v === undefined) {
    if (minLen > 0) c.add(p, 'is required');
    return [];
  }
  if (!Array.isArray(v)) {
    c.add(p, 'must be a list');
    return [];
  }
  if (v.length < minLen) c.add(p, `needs at least ${minLen} entr${minLen === 1 ? 'y' : 'ies'}`);
  return v;
}

/** A flat map of agent parameters; numbers and booleans are accepted and written as text. */
function paramMap(v: Json, path: string, c: Collector): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) {
    c.add(path, 'must be an object of parameter names to values');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k)) c.add(`${path}.${k}`, 'is not a valid parameter name');
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
    else if (typeof val === 'string') {
      // Kept out so every value can be written into both pcs and crmsh syntax.
      if (/["'\\\x00-\x1f]/.test(val)) c.add(`${path}.${k}`, 'must not contain quotes, backslashes or control characters');
      else out[k] = val;
    }
    else c.add(`${path}.${k}`, 'must be a string, number or boolean');
  }
  return out;
}

function validate(raw: Json, c: Collector): ClusterDescription | undefined {
  if (!isObj(raw)) {
    c.add('', 'the description must be a JSON object');
    return undefined;
  }
  unknownKeys(raw, ['$comment', 'cluster', 'nodes', 'options', 'drbd', 'volumeGroups', 'fencing', 'discovery'], '', c);
  const cluster = str(raw, 'cluster', '', c, NODE_NAME, 'a valid cluster name') ?? '';
  const options = parseOptions(raw['options'], c);

  const nodes: ClusterNode[] = [];
  arr(raw, 'nodes', '', c, 1).forEach((n, i) => {
    const p = `nodes[${i}]`;
    if (!isObj(n)) return c.add(p, 'must be an object');
    unknownKeys(n, ['$comment', 'name', 'addresses'], p, c);
    const name = str(n, 'name', p, c, NODE_NAME, 'a valid node name (letters, digits, . _ -)');
    const addresses = arr(n, 'addresses', p, c, 0).flatMap((a, j) => {
      if (typeof a === 'string' && isIP(a)) return [a];
      c.add(`${p}.addresses[${j}]`, `${JSON.stringify(a)} is not an IP address`);
      return [];
    });
    if (!name) return;
    if (nodes.some((x) => x.name === name)) c.add(`${p}.name`, `node ${name} is listed twice`);
    nodes.push({ name, addresses });
  });

  const drbd: DrbdResource[] = [];
  arr(raw, 'drbd', '', c, 1).forEach((r, i) => {
    const p = `drbd[${i}]`;
    if (!isObj(r)) return c.add(p, 'must be an object');
    unknownKeys(r, ['$comment', 'name', 'params'], p, c);
    const name = str(r, 'name', p, c, DRBD_NAME, 'a valid DRBD resource name');
    const params = paramMap(r['params'], `${p}.params`, c);
    if ('drbd_resource' in params) c.add(`${p}.params.drbd_resource`, 'is set from name; remove it');
    if (!name) return;
    if (drbd.some((x) => x.name === name)) c.add(`${p}.name`, `DRBD resource ${name} is listed twice`);
    drbd.push({ name, params });
  });

  const vgs: VolumeGroupSpec[] = [];
  arr(raw, 'volumeGroups', '', c, 1).forEach((v, i) => {
    const spec = parseVolumeGroup(v, `volumeGroups[${i}]`, c, nodes, drbd);
    if (spec) vgs.push(spec);
  });
  crossCheckVolumeGroups(vgs, c);
  const discovery = parseDiscovery(raw['discovery'], (p, m) => c.add(p, m), nodes.map((n) => n.name));
  if (discovery) {
    const clash = vgs.find((v) => v.portals.some((pt) => pt.ip === discovery.ip));
    if (clash) c.add('discovery.ip', `${discovery.ip} is also a portal of volume group ${clash.vg}; the discovery portal needs its own address`);
    const groupClash = vgs.find((v) => v.group === discovery.group);
    if (groupClash) c.add('discovery.group', `group id ${discovery.group} is also used by volume group ${groupClash.vg}`);
  }

  const fencing: FenceDevice[] = [];
  arr(raw, 'fencing', '', c, 0).forEach((f, i) => {
    const p = `fencing[${i}]`;
    if (!isObj(f)) return c.add(p, 'must be an object');
    unknownKeys(f, ['$comment', 'id', 'agent', 'node', 'params'], p, c);
    const id = str(f, 'id', p, c, XML_ID, 'a valid CIB id');
    const agent = str(f, 'agent', p, c, FENCE_AGENT, 'a fence agent name (letters, digits, _ . -)');
    const node = str(f, 'node', p, c);
    if (node && !nodes.some((n) => n.name === node)) c.add(`${p}.node`, `${node} is not one of the nodes (${nodes.map((n) => n.name).join(', ')})`);
    const params = paramMap(f['params'], `${p}.params`, c);
    if ('pcmk_host_list' in params) c.add(`${p}.params.pcmk_host_list`, 'is set from node; remove it');
    if (!id || !agent || !node) return;
    if (fencing.some((x) => x.id === id)) c.add(`${p}.id`, `fence device ${id} is listed twice`);
    fencing.push({ id, agent, node, params });
  });
  if (options && !options.stonith && fencing.length > 0) c.add('fencing', 'fence devices are listed but options.stonith is false');

  if (c.errors.length > 0 || !options) return undefined;
  return { cluster, nodes, options, drbd, volumeGroups: vgs, fencing, ...(discovery && { discovery }) };
}

function parseOptions(v: Json, c: Collector): ClusterOptions | undefined {
  if (v === undefined) return DEFAULT_OPTIONS;
  if (!isObj(v)) {
    c.add('options', 'must be an object');
    return undefined;
  }
  const p = 'options';
  unknownKeys(v, ['$comment', 'stonith', 'noQuorumPolicy', 'preferenceScore', 'resourceStickiness', 'migrationThreshold', 'failureTimeout', 'timeoutScale'], p, c);
  const d = DEFAULT_OPTIONS;
  const o: ClusterOptions = {
    stonith: bool(v, 'stonith', p, c, d.stonith),
    noQuorumPolicy: noQuorumPolicy(v, c) ?? d.noQuorumPolicy,
    preferenceScore: int(v, 'preferenceScore', p, c, 1, 1_000_000, d.preferenceScore) ?? d.preferenceScore,
    resourceStickiness: int(v, 'resourceStickiness', p, c, 0, 1_000_000, d.resourceStickiness) ?? d.resourceStickiness,
    migrationThreshold: int(v, 'migrationThreshold', p, c, 1, 1_000_000, d.migrationThreshold) ?? d.migrationThreshold,
    failureTimeout: int(v, 'failureTimeout', p, c, 0, 31_536_000, d.failureTimeout) ?? d.failureTimeout,
    timeoutScale: int(v, 'timeoutScale', p, c, 1, 10, d.timeoutScale) ?? d.timeoutScale,
  };
  // No automatic failback: a group sitting on the peer must score more there
  // (stickiness) than the preferred node offers (preference).
  if (o.resourceStickiness <= o.preferenceScore) {
    c.add(
      'options.resourceStickiness',
      `must be greater than options.preferenceScore (${o.preferenceScore}), otherwise groups fail back automatically`,
    );
  }
  return o;
}

function noQuorumPolicy(o: Obj, c: Collector): NoQuorumPolicy | undefined {
  const v = o['noQuorumPolicy'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(NO_QUORUM_POLICIES as readonly string[]).includes(v)) {
    c.add('options.noQuorumPolicy', `must be one of: ${NO_QUORUM_POLICIES.join(', ')}`);
    return undefined;
  }
  return v as NoQuorumPolicy;
}

function parseVolumeGroup(
  v: Json, p: string, c: Collector, nodes: readonly ClusterNode[], drbd: readonly DrbdResource[],
): VolumeGroupSpec | undefined {
  if (!isObj(v)) {
    c.add(p, 'must be an object');
    return undefined;
  }
  unknownKeys(v, ['$comment', 'vg', 'drbd', 'group', 'preferredNode', 'ddmap', 'blockConnections', 'targets', 'portals', 'params'], p, c);
  const vg = str(v, 'vg', p, c, VG_NAME, 'a valid LVM volume group name');
  const drbdName = str(v, 'drbd', p, c);
  if (drbdName && !drbd.some((r) => r.name === drbdName)) c.add(`${p}.drbd`, `no DRBD resource named ${drbdName} under drbd`);
  const preferredNode = str(v, 'preferredNode', p, c);
  if (preferredNode && !nodes.some((n) => n.name === preferredNode)) {
    c.add(`${p}.preferredNode`, `${preferredNode} is not one of the nodes (${nodes.map((n) => n.name).join(', ')})`);
  }
  const group = v['group'] === undefined ? (vg ? `g_${idPart(vg)}` : undefined) : str(v, 'group', p, c, XML_ID, 'a valid CIB id');
  const ddmap = bool(v, 'ddmap', p, c, false);
  const blockConnections = bool(v, 'blockConnections', p, c, false);

  const targets: TargetSpec[] = [];
  arr(v, 'targets', p, c, 1).forEach((t, j) => {
    const tp = `${p}.targets[${j}]`;
    if (!isObj(t)) return c.add(tp, 'must be an object');
    unknownKeys(t, ['$comment', 'iqn', 'config'], tp, c);
    const iqn = str(t, 'iqn', tp, c, IQN, 'a valid iSCSI name (iqn.yyyy-mm.domain[:...], eui., naa.; lower case)');
    const config = str(t, 'config', tp, c, SAFE_PATH, 'an absolute path (letters, digits, / . _ - + @ %)');
    if (iqn && config) targets.push({ iqn, config });
  });

  const portals: PortalSpec[] = [];
  arr(v, 'portals', p, c, 1).forEach((t, j) => {
    const pp = `${p}.portals[${j}]`;
    if (!isObj(t)) return c.add(pp, 'must be an object');
    unknownKeys(t, ['$comment', 'ip', 'cidrNetmask', 'nic', 'port'], pp, c);
    const ip = str(t, 'ip', pp, c);
    const family = ip ? isIP(ip) : 0;
    if (ip && family === 0) c.add(`${pp}.ip`, `${JSON.stringify(ip)} is not an IPv4 or IPv6 address`);
    const cidrNetmask = t['cidrNetmask'] === undefined ? undefined : int(t, 'cidrNetmask', pp, c, 1, family === 6 ? 128 : 32);
    const nic = t['nic'] === undefined ? undefined : str(t, 'nic', pp, c, NIC, 'a valid interface name');
    const port = t['port'] === undefined ? undefined : int(t, 'port', pp, c, 1, 65535);
    if (ip && family !== 0) {
      portals.push({
        ip,
        ...(cidrNetmask !== undefined && { cidrNetmask }),
        ...(nic !== undefined && { nic }),
        ...(port !== undefined && { port }),
      });
    }
  });

  const params: Partial<Record<MemberRole, Record<string, string>>> = {};
  const rawParams = v['params'];
  if (rawParams !== undefined) {
    if (!isObj(rawParams)) c.add(`${p}.params`, `must be an object keyed by ${MEMBER_ROLES.join(', ')}`);
    else {
      for (const [role, m] of Object.entries(rawParams)) {
        if (!(MEMBER_ROLES as readonly string[]).includes(role)) {
          c.add(`${p}.params.${role}`, `unknown member (expected one of: ${MEMBER_ROLES.join(', ')})`);
        } else params[role as MemberRole] = paramMap(m, `${p}.params.${role}`, c);
      }
    }
  }
  if (params.ddmap && !ddmap) c.add(`${p}.params.ddmap`, 'ddmap parameters given but ddmap is not true');
  if (ddmap && params.ddmap?.['backend'] === 'era' && !(params.ddmap['lvs'] ?? '').trim()) {
    c.add(`${p}.params.ddmap.lvs`, 'backend era needs lvs: the logical volumes whose era devices the targets export');
  }

  if (!vg || !drbdName || !preferredNode || !group) return undefined;
  return { vg, drbd: drbdName, group, preferredNode, ddmap, blockConnections, targets, portals, params };
}

function crossCheckVolumeGroups(vgs: readonly VolumeGroupSpec[], c: Collector): void {
  const seen = new Map<string, { where: string; group: string }>();
  /** `owned`: a kernel object or address a group owns, so the message names both groups. */
  const once = (kind: string, key: string, where: string, group: string, owned = false): void => {
    const k = `${kind}\0${key}`;
    const prev = seen.get(k);
    if (!prev) seen.set(k, { where, group });
    else if (owned && prev.group !== group) c.add(where, `${kind} ${key} is also used by ${prev.where}: groups ${prev.group} and ${group} cannot both own it`);
    else c.add(where, `${kind} ${key} is also used by ${prev.where}`);
  };
  vgs.forEach((v, i) => {
    const p = `volumeGroups[${i}]`;
    once('volume group', v.vg, p, v.group);
    once('group id', v.group, p, v.group);
    v.targets.forEach((t, j) => once('target', t.iqn, `${p}.targets[${j}]`, v.group, true));
    v.portals.forEach((t, j) => once('portal address', t.ip, `${p}.portals[${j}]`, v.group, true));
  });
  // Groups on one DRBD resource all follow its single Promoted instance, so they
  // cannot prefer different nodes.
  vgs.forEach((v, j) => {
    const first = vgs.find((w) => w.drbd === v.drbd);
    if (first && first !== v && first.preferredNode !== v.preferredNode) {
      c.add(
        `volumeGroups[${j}].preferredNode`,
        `${v.vg} shares DRBD resource ${v.drbd} with ${first.vg}, which prefers ${first.preferredNode}; both must prefer the same node`,
      );
    }
  });
}

/** Makes a name usable inside a CIB id (XML NCName): '+' is the one LVM character that is not. */
export function idPart(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}
