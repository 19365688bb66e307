import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/portald/config.js';
import { servingPortals } from '../../daemons/portald/directory.js';

const errors = (o: unknown): string[] => {
  try {
    parseConfig(JSON.stringify(o));
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.errors];
    throw e;
  }
};

describe('portald configuration', () => {
  it('defaults: port 3260, tag 1, 5 s state, temporary redirects', () => {
    const c = parseConfig(JSON.stringify({ portals: [{ address: '192.0.2.9', backends: ['192.0.2.1', '[fd00::2]:3261'] }] }));
    expect(c.portals[0]).toEqual({ address: '192.0.2.9', port: 3260, tag: 1, backends: [{ host: '192.0.2.1', port: 3260 }, { host: 'fd00::2', port: 3261 }] });
    expect(c.stateSeconds).toBe(5);
    expect(c.redirect).toBe('temporary');
  });

  it('names every problem with its JSON path', () => {
    expect(
      errors({
        portals: [{ address: 'portal', backends: [] }, { address: '192.0.2.9', port: 70000, backends: ['192.0.2.1,1'] }],
        removedTargets: ['iqn.bad'],
        chap: { username: 'u', password: 'same', mutualUsername: 'm', mutualPassword: 'same' },
        stateSeconds: 120,
        colour: 'blue',
      }),
    ).toEqual([
      '$.colour: unknown field (expected one of: $comment, portals, removedTargets, chap, backendChap, redirect, stateSeconds, backendTimeoutMs, unavailableDelayMs, limits)',
      '$.portals[0].address: "portal" is not an IPv4 or IPv6 address',
      '$.portals[0].backends: must be a non-empty list of "address[:port]"',
      '$.portals[1].port: must be an integer from 1 to 65535',
      '$.portals[1].backends[0]: "192.0.2.1,1" is not "ip[:port]" (IPv6 as [addr]:port)',
      '$.removedTargets[0]: "iqn.bad" is not an iSCSI name (iqn., eui., naa.)',
      '$.chap.mutualPassword: must differ from password',
      '$.stateSeconds: must be an integer from 0 to 60',
    ]);
    expect(errors('x')).toEqual(['$: must be a JSON object']);
  });
});

describe('serving portals', () => {
  const b1 = { host: '192.0.2.1', port: 3260 };
  const b2 = { host: '192.0.2.2', port: 3260 };
  it('keeps reported addresses that are configured back-ends (not replication networks), wildcards mean the back-end asked', () => {
    const t = (addresses: { host: string; port: number; tag?: number }[]) => ({ name: 'iqn.2026-01.t:x', addresses });
    expect(servingPortals([{ backend: b1, target: t([{ host: '10.9.9.1', port: 3260, tag: 1 }, { host: '192.0.2.2', port: 3260, tag: 2 }]) }], [b1, b2])).toEqual([{ ...b2, tag: 2 }]);
    expect(servingPortals([{ backend: b1, target: t([{ host: '0.0.0.0', port: 3260, tag: 1 }]) }], [b1, b2])).toEqual([{ ...b1, tag: 1 }]);
    expect(servingPortals([{ backend: b2, target: t([{ host: '10.9.9.1', port: 3260 }]) }], [b1, b2])).toEqual([{ ...b2, tag: 1 }]);
  });
});
