/**
 * The portal's desired state, checked and normalised from the agent's
 * parameters. Pure: nothing here looks at the machine (validate-all at check
 * level 0 must not), so nic/prefix derivation lives in resolve.ts.
 */
import { Failure } from '../../lib/failure.js';
import { isIscsiName } from '../../lib/names.js';
import type { ParamsOf } from '../../lib/definition.js';
import type { definition } from './definition.js';
import { type IpAddress, formatHostPort, formatIp, maxPrefix, tryParseIp } from '../../lib/net/ip.js';

export type BlockMode = 'none' | 'drop';

export type PortalParams = ParamsOf<typeof definition>;

export interface PortalConfig {
  ip: IpAddress;
  ipText: string;
  /** Undefined: derive from the connected route. */
  prefixLen?: number;
  nic?: string;
  label?: string;
  announce: { count: number; intervalMs: number; background: boolean };
  dad: { enabled: boolean; timeoutMs: number };
  preferredLft: string;
  noPrefixRoute: boolean;
  checkLink: boolean;
  port: number;
  /** LIO targets whose tpgt_<tpgt>/np/<ip>:<port> this resource owns. */
  targets: readonly string[];
  tpgt: number;
  iser: boolean;
  block: BlockMode;
  /** np directory name: "192.0.2.7:3260" or "[2001:db8::7]:3260". */
  npName: string;
}


// Linux IFNAMSIZ is 16 including the NUL; "/" and whitespace are never valid.
const IFNAME = /^[^\s/:]{1,15}$/;

export function parsePortalConfig(p: PortalParams): PortalConfig {
  const ip = tryParseIp(p.ip);
  if (!ip || p.ip.includes('/')) throw new Failure('config', `ip: "${p.ip}" is not an IPv4 or IPv6 address (give the prefix length in cidr_netmask)`);
  if (ip.bytes.every((b) => b === 0)) throw new Failure('config', `ip: the unspecified address ${p.ip} cannot be a portal`);
  if (ip.family === 4 && (ip.bytes[0]! >= 224 || ip.bytes[0] === 127)) throw new Failure('config', `ip: ${p.ip} is a multicast, reserved or loopback address`);
  if (ip.family === 6 && (ip.bytes[0] === 0xff || (ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80)))
    throw new Failure('config', `ip: ${p.ip} is a multicast or link-local IPv6 address`);
  if (p.cidr_netmask !== undefined && (p.cidr_netmask < 1 || p.cidr_netmask > maxPrefix(ip.family)))
    throw new Failure('config', `cidr_netmask: ${p.cidr_netmask} is outside 1-${maxPrefix(ip.family)} for an IPv${ip.family} address`);
  const nic = p.nic === undefined || p.nic === '' ? undefined : p.nic;
  if (nic !== undefined && !IFNAME.test(nic)) throw new Failure('config', `nic: "${nic}" is not a valid interface name`);
  const label = p.label === undefined || p.label === '' ? undefined : p.label;
  if (label !== undefined) {
    if (ip.family === 6) throw new Failure('config', 'label: address labels exist for IPv4 only');
    if (!/^[A-Za-z0-9_.-]+$/.test(label)) throw new Failure('config', `label: "${label}" may contain only letters, digits, "_", "." and "-"`);
    if (nic !== undefined && nic.length + 1 + label.length > 15)
      throw new Failure('config', `label: "${nic}:${label}" is longer than 15 characters`);
  }
  if (p.arp_count < 0 || p.arp_count > 100) throw new Failure('config', `arp_count: ${p.arp_count} is outside 0-100`);
  if (p.arp_interval < 1 || p.arp_interval > 10000) throw new Failure('config', `arp_interval: ${p.arp_interval} ms is outside 1-10000`);
  if (p.dad_timeout < 100 || p.dad_timeout > 10000) throw new Failure('config', `dad_timeout: ${p.dad_timeout} ms is outside 100-10000`);
  if (!/^(forever|\d{1,10})$/.test(p.preferred_lft)) throw new Failure('config', `preferred_lft: "${p.preferred_lft}" is neither "forever" nor a number of seconds`);
  if (p.port < 1 || p.port > 65535) throw new Failure('config', `port: ${p.port} is outside 1-65535`);
  if (p.tpgt < 0 || p.tpgt > 65535) throw new Failure('config', `tpgt: ${p.tpgt} is outside 0-65535`);
  const targets = p.iqn ?? [];
  for (const t of targets) if (!isIscsiName(t)) throw new Failure('config', `iqn: "${t}" is not an iqn., eui. or naa. target name`);
  if (new Set(targets).size !== targets.length) throw new Failure('config', 'iqn: a target is listed twice');
  if (p.iser && targets.length === 0) throw new Failure('config', 'iser: set iqn too; iSER is a property of the network portal');
  if (p.block !== 'none' && p.block !== 'drop') throw new Failure('config', `block: "${p.block}" is not one of none, drop`);
  return {
    ip,
    ipText: formatIp(ip),
    ...(p.cidr_netmask !== undefined ? { prefixLen: p.cidr_netmask } : {}),
    ...(nic !== undefined ? { nic } : {}),
    ...(label !== undefined ? { label } : {}),
    announce: { count: p.arp_count, intervalMs: p.arp_interval, background: p.arp_bg },
    dad: { enabled: p.dad, timeoutMs: p.dad_timeout },
    preferredLft: p.preferred_lft,
    noPrefixRoute: p.noprefixroute,
    checkLink: p.check_link,
    port: p.port,
    targets,
    tpgt: p.tpgt,
    iser: p.iser,
    block: p.block,
    npName: formatHostPort(ip, p.port),
  };
}
