/**
 * SendTargets answers (RFC 7143 appendix C): TargetName followed by its
 * TargetAddress values, in the order given.
 */
import { parseTargetAddress, type PortalAddress } from './address.js';
import type { KeyValue } from './text.js';

export interface DiscoveredTarget {
  readonly name: string;
  readonly addresses: readonly PortalAddress[];
}

/** Targets from SendTargets response text; malformed addresses are dropped, a stray TargetAddress too. */
export function parseSendTargets(pairs: readonly KeyValue[], maxTargets = 4096): DiscoveredTarget[] {
  const out: { name: string; addresses: PortalAddress[] }[] = [];
  for (const [k, v] of pairs) {
    if (k === 'TargetName') {
      if (out.length >= maxTargets) break;
      out.push({ name: v, addresses: [] });
    } else if (k === 'TargetAddress') {
      const a = parseTargetAddress(v);
      const cur = out[out.length - 1];
      if (a && cur && cur.addresses.length < 64) cur.addresses.push(a);
    }
  }
  return out;
}

export function sendTargetsPairs(targets: readonly { name: string; addresses: readonly string[] }[]): KeyValue[] {
  return targets.flatMap((t) => [['TargetName', t.name] as const, ...t.addresses.map((a) => ['TargetAddress', a] as const)]);
}
