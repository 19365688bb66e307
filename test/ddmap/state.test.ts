import { describe, expect, it } from 'vitest';
import { STATES, afterStart, afterStop, parseState, stateToText } from '../../lib/ddmap/state.js';

describe('ddmap state machine (ietd_ddmap.sh table)', () => {
  it.each([
    ['UNKNOWN', 'DIRTY', 'DIRTY'],
    ['ACTIVE', 'CLEAN', 'DIRTY'],
    ['CLEAN', 'CLEAN', 'ACTIVE'],
    ['DIRTY', 'DIRTY', 'DIRTY'],
  ] as const)('%s: stop -> %s, start -> %s', (from, stop, start) => {
    expect(afterStop(from)).toBe(stop);
    expect(afterStart(from)).toBe(start);
  });

  it('a clean cycle stop/start/stop keeps dumps usable; a crash (start over ACTIVE) forces a full read', () => {
    expect(afterStop(afterStart(afterStop('ACTIVE')))).toBe('CLEAN');
    expect(afterStart(afterStart('CLEAN'))).toBe('DIRTY');
  });

  it('reads and writes the DDMAP_ file form', () => {
    for (const s of STATES) expect(parseState(`${stateToText(s)}\n`)).toBe(s);
    expect(parseState('clean')).toBe('CLEAN');
    expect(parseState('DDMAP_BOGUS')).toBeNull();
    expect(parseState('')).toBeNull();
  });
});
