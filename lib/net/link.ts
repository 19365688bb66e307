/**
 * Link state from /sys/class/net/<nic>/{operstate,carrier,flags}. Pure: the
 * caller reads the files (carrier may be unreadable, EINVAL, when the
 * interface is administratively down: pass undefined).
 */
export const IFF = { UP: 0x1, LOOPBACK: 0x8, RUNNING: 0x40, NOARP: 0x80, LOWER_UP: 0x10000 } as const;

export type OperState = 'up' | 'down' | 'unknown' | 'dormant' | 'lowerlayerdown' | 'notpresent' | 'testing';

export interface LinkState {
  operstate: OperState;
  adminUp: boolean;
  carrier: boolean;
  /** Can carry traffic: admin up, carrier, and not reported down by the driver. */
  usable: boolean;
  /** Why not usable, for exit reasons. */
  problem?: string;
}

export function parseLinkState(raw: { operstate: string; carrier?: string; flags: string }): LinkState {
  const operstate = raw.operstate.trim() as OperState;
  const flags = parseInt(raw.flags.trim(), 16);
  const adminUp = Number.isFinite(flags) && (flags & IFF.UP) !== 0;
  const carrier = raw.carrier !== undefined && raw.carrier.trim() === '1';
  let problem: string | undefined;
  if (!adminUp) problem = 'administratively down';
  else if (!carrier) problem = 'no carrier';
  // "unknown" is normal for dummy/tun/some virtual drivers that do not report state.
  else if (operstate === 'down' || operstate === 'lowerlayerdown' || operstate === 'notpresent') problem = `operstate ${operstate}`;
  return { operstate, adminUp, carrier, usable: problem === undefined, ...(problem ? { problem } : {}) };
}
