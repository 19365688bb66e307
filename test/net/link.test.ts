import { describe, expect, it } from 'vitest';
import { parseLinkState } from '../../lib/net/link.js';

// Values read from a veth in a namespace (peer up, then peer down), and from
// an admin-down interface, whose carrier file read fails with EINVAL.
describe('parseLinkState', () => {
  it('up veth', () => {
    expect(parseLinkState({ operstate: 'up\n', carrier: '1\n', flags: '0x1003\n' })).toMatchObject({ usable: true, adminUp: true });
  });
  it('peer down: carrier lost', () => {
    const s = parseLinkState({ operstate: 'lowerlayerdown\n', carrier: '0\n', flags: '0x1003\n' });
    expect(s.usable).toBe(false);
    expect(s.problem).toBe('no carrier');
  });
  it('admin down', () => {
    const s = parseLinkState({ operstate: 'down\n', flags: '0x1002\n' });
    expect(s).toMatchObject({ usable: false, adminUp: false, problem: 'administratively down' });
  });
  it('dummy interfaces report operstate unknown and are usable', () => {
    expect(parseLinkState({ operstate: 'unknown\n', carrier: '1\n', flags: '0x83\n' }).usable).toBe(true);
  });
});
