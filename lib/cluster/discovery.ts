/**
 * The discovery portal in the cluster description and plan: an optional
 * `discovery` section becomes a group g_discovery = its own address (the
 * portal agent without iqn: address only, no LIO network portal) followed by
 * ocf:lioha:discovery (lioha-portald). It needs no ordering against the
 * volume groups: the daemon answers "service unavailable" while a target is
 * not served, and finds it when it is.
 */
import { isIP } from 'node:net';
import type { AgentDefinition } from '../definition.js';
import type { NameValue, PlanConstraint, PlanGroup } from './plan.js';
import { portaldSettingsProblems } from './portald-config.js';

export interface DiscoverySpec {
  /** The discovery address initiators are configured with. */
  readonly ip: string;
  readonly cidrNetmask?: number;
  readonly nic?: string;
  readonly port?: number;
  /** lioha-portald configuration file, the same on every node. */
  readonly config: string;
  readonly group: string;
  readonly preferredNode?: string;
  readonly params: Readonly<{ portal?: Readonly<Record<string, string>>; discovery?: Readonly<Record<string, string>> }>;
  /**
   * Settings of the portald file that the description cannot derive (backendTimeoutMs, limits, chap, ...),
   * checked by portald's own validator; `lioha cluster discovery-config` writes them next to the generated portals.
   */
  readonly portald?: Readonly<Record<string, unknown>>;
}

type Add = (path: string, msg: string) => void;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const SAFE_PATH = /^\/[A-Za-z0-9_.,+@%:/=-]*$/;
const NIC = /^[A-Za-z0-9_.:@-]{1,15}$/;
const XML_ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const PARAM = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function parseDiscovery(v: unknown, add: Add, nodeNames: readonly string[]): DiscoverySpec | undefined {
  if (v === undefined) return undefined;
  const p = 'discovery';
  if (!isObj(v)) {
    add(p, 'must be an object');
    return undefined;
  }
  const allowed = ['$comment', 'ip', 'cidrNetmask', 'nic', 'port', 'config', 'group', 'preferredNode', 'params', 'portald'];
  for (const k of Object.keys(v)) if (!allowed.includes(k)) add(`${p}.${k}`, `unknown field (expected one of: ${allowed.join(', ')})`);
  const ip = v['ip'];
  const family = typeof ip === 'string' ? isIP(ip) : 0;
  if (family === 0) add(`${p}.ip`, ip === undefined ? 'is required' : `${JSON.stringify(ip)} is not an IPv4 or IPv6 address`);
  const int = (k: string, min: number, max: number): number | undefined => {
    const x = v[k];
    if (x === undefined) return undefined;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      add(`${p}.${k}`, `must be an integer from ${min} to ${max}`);
      return undefined;
    }
    return x;
  };
  const str = (k: string, re: RegExp, what: string, required = false): string | undefined => {
    const x = v[k];
    if (x === undefined) {
      if (required) add(`${p}.${k}`, 'is required');
      return undefined;
    }
    if (typeof x !== 'string' || !re.test(x)) {
      add(`${p}.${k}`, `${JSON.stringify(x)} is not ${what}`);
      return undefined;
    }
    return x;
  };
  const cidrNetmask = int('cidrNetmask', 1, family === 6 ? 128 : 32);
  const port = int('port', 1, 65535);
  const nic = str('nic', NIC, 'a valid interface name');
  const config = str('config', SAFE_PATH, 'an absolute path (letters, digits, / . _ - + @ %)', true);
  const group = str('group', XML_ID, 'a valid CIB id') ?? 'g_discovery';
  const preferredNode = typeof v['preferredNode'] === 'string' ? v['preferredNode'] : undefined;
  if (v['preferredNode'] !== undefined && (!preferredNode || !nodeNames.includes(preferredNode))) {
    add(`${p}.preferredNode`, `${JSON.stringify(v['preferredNode'])} is not one of the nodes (${nodeNames.join(', ')})`);
  }
  const params: { portal?: Record<string, string>; discovery?: Record<string, string> } = {};
  const rp = v['params'];
  if (rp !== undefined) {
    if (!isObj(rp)) add(`${p}.params`, 'must be an object keyed by portal, discovery');
    else {
      for (const [role, m] of Object.entries(rp)) {
        if (role !== 'portal' && role !== 'discovery') {
          add(`${p}.params.${role}`, 'unknown member (expected one of: portal, discovery)');
          continue;
        }
        if (!isObj(m)) {
          add(`${p}.params.${role}`, 'must be an object of parameter names to values');
          continue;
        }
        const out: Record<string, string> = {};
        for (const [k, val] of Object.entries(m)) {
          if (!PARAM.test(k)) add(`${p}.params.${role}.${k}`, 'is not a valid parameter name');
          else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
          else if (typeof val === 'string' && !/["'\\\x00-\x1f]/.test(val)) out[k] = val;
          else add(`${p}.params.${role}.${k}`, 'must be a string (no quotes, backslashes or control characters), number or boolean');
        }
        params[role] = out;
      }
    }
  }
  const portald = v['portald'];
  if (portald !== undefined) {
    if (!isObj(portald)) add(`${p}.portald`, 'must be an object of lioha-portald settings');
    else for (const q of portaldSettingsProblems(portald)) add(q.path, q.message);
  }
  if (family === 0 || !config) return undefined;
  return {
    ip: ip as string,
    config,
    group,
    params,
    ...(cidrNetmask !== undefined && { cidrNetmask }),
    ...(nic !== undefined && { nic }),
    ...(port !== undefined && { port }),
    ...(preferredNode !== undefined && { preferredNode }),
    ...(isObj(portald) && { portald }),
  };
}

export type MakePrimitive = (
  id: string, def: AgentDefinition, generated: Record<string, string | undefined>, user: Readonly<Record<string, string>>, where: string,
) => PlanGroup['members'][number];

/** The discovery group (address first, daemon second) and its optional preferred node. */
export function discoveryGroup(
  d: DiscoverySpec, agents: { portal?: AgentDefinition; discovery?: AgentDefinition }, meta: readonly NameValue[], make: MakePrimitive,
  preferenceScore: number,
): { group: PlanGroup; constraints: PlanConstraint[] } {
  if (!agents.portal || !agents.discovery) throw new Error('the discovery portal needs the portal and discovery agents, which this build does not have');
  const members = [
    make('p_portal_discovery', agents.portal, {
      ip: d.ip, cidr_netmask: d.cidrNetmask?.toString(), nic: d.nic, port: d.port?.toString(),
    }, d.params.portal ?? {}, 'discovery portal, portal'),
    make('p_discovery', agents.discovery, { config: d.config }, d.params.discovery ?? {}, 'discovery portal, discovery'),
  ];
  const constraints: PlanConstraint[] = d.preferredNode
    ? [{ type: 'location', id: `loc_${d.group}_prefers_${d.preferredNode.replace(/[^A-Za-z0-9_.-]/g, '_')}`, rsc: d.group, node: d.preferredNode, score: preferenceScore }]
    : [];
  return { group: { id: d.group, members, meta }, constraints };
}
