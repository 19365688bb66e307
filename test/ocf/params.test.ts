import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../lib/definition.js';
import { parseParams } from '../../lib/ocf/params.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';

const def = defineAgent({
  name: 't',
  version: '1',
  shortdesc: 's',
  longdesc: 'l',
  parameters: [
    { name: 'iqn', type: 'string', required: true, shortdesc: '', longdesc: '' },
    { name: 'count', type: 'integer', default: 3, shortdesc: '', longdesc: '' },
    { name: 'flag', type: 'boolean', default: false, shortdesc: '', longdesc: '' },
    { name: 'mode', type: 'select', options: ['a', 'b'], default: 'a', shortdesc: '', longdesc: '' },
    { name: 'password', type: 'string', secret: true, shortdesc: '', longdesc: '' },
    { name: 'pin', type: 'integer', secret: true, shortdesc: '', longdesc: '' },
  ],
  actions: [],
});

function fails(env: Record<string, string>): { code: number; reason: string } {
  try {
    parseParams(def, env);
  } catch (e) {
    if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason };
    throw e;
  }
  throw new Error('expected a Failure');
}

describe('parseParams', () => {
  it('types values and applies defaults', () => {
    expect(parseParams(def, { OCF_RESKEY_iqn: 'iqn.x', OCF_RESKEY_flag: 'yes', OCF_RESKEY_count: ' 12 ' })).toEqual({
      iqn: 'iqn.x',
      count: 12,
      flag: true,
      mode: 'a',
    });
  });

  it('missing required parameter: ERR_CONFIGURED naming it; empty counts as missing', () => {
    for (const env of [{}, { OCF_RESKEY_iqn: '' }] as Record<string, string>[]) {
      const e = fails(env);
      expect(e.code).toBe(OcfExit.ERR_CONFIGURED);
      expect(e.reason).toContain('iqn');
    }
  });

  it('malformed integer or boolean: ERR_ARGS naming parameter and value', () => {
    const i = fails({ OCF_RESKEY_iqn: 'x', OCF_RESKEY_count: '3x' });
    expect([i.code, i.reason]).toEqual([OcfExit.ERR_ARGS, "parameter count: '3x' is not an integer"]);
    expect(fails({ OCF_RESKEY_iqn: 'x', OCF_RESKEY_flag: 'maybe' }).code).toBe(OcfExit.ERR_ARGS);
  });

  it('select outside its options: ERR_CONFIGURED listing the options', () => {
    const e = fails({ OCF_RESKEY_iqn: 'x', OCF_RESKEY_mode: 'c' });
    expect(e.code).toBe(OcfExit.ERR_CONFIGURED);
    expect(e.reason).toContain('a, b');
  });

  it('never echoes a secret value in a reason', () => {
    const e = fails({ OCF_RESKEY_iqn: 'x', OCF_RESKEY_pin: 'hunter2' });
    expect(e.reason).toContain('pin');
    expect(e.reason).not.toContain('hunter2');
  });
});
