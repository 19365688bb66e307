/**
 * What reaches the kernel: a real 6.1 kernel stores CHAP credentials exactly as
 * written (a trailing newline became part of the user name and logins failed),
 * while other attributes are parsed and take `value\n`.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wireValue } from '../../lib/configfs/io.js';
import { NodeConfigFs } from '../../lib/configfs/node-backend.js';
import { applyInChild } from '../../lib/configfs/child-apply.js';

const acl = 'iscsi/iqn.2016-09.com.example:t/tpgt_1/acls/iqn.2016-09.com.example:i1';

describe('wireValue', () => {
  it('writes CHAP credentials bare (TPG, ACL and discovery auth) and everything else with a newline', () => {
    for (const f of ['userid', 'password', 'userid_mutual', 'password_mutual']) {
      expect(wireValue(`${acl}/auth/${f}`, 'u1')).toBe('u1');
      expect(wireValue(`iscsi/iqn.x:t/tpgt_1/auth/${f}`, 'u1')).toBe('u1');
      expect(wireValue(`iscsi/discovery_auth/${f}`, 'u1')).toBe('u1');
    }
    expect(wireValue('iscsi/iqn.x:t/tpgt_1/param/InitialR2T', 'No')).toBe('No\n');
    // an ACL's tag is kept as written too (48-corpus: with a newline it differed from targetctl's)
    expect(wireValue(`${acl}/tag`, 'cluster-hosts')).toBe('cluster-hosts');
    expect(wireValue(`${acl}/auth/authenticate_target`, '1')).toBe('1\n');
  });

  it('the real-kernel backend writes exactly those bytes', async () => {
    const base = mkdtempSync(join(tmpdir(), 'wire-'));
    mkdirSync(join(base, acl, 'auth'), { recursive: true });
    mkdirSync(join(base, acl, 'attrib'), { recursive: true });
    writeFileSync(join(base, acl, 'auth', 'userid'), '');
    writeFileSync(join(base, acl, 'attrib', 'dataout_timeout'), '');
    const cfs = new NodeConfigFs(base);
    await cfs.write(`${acl}/auth/userid`, 'iscsiuser01');
    await cfs.write(`${acl}/attrib/dataout_timeout`, '3');
    expect(readFileSync(join(base, acl, 'auth', 'userid'), 'utf8')).toBe('iscsiuser01');
    expect(readFileSync(join(base, acl, 'attrib', 'dataout_timeout'), 'utf8')).toBe('3\n');
  });

  it('the child that applies teardown on a real kernel writes the same bytes', async () => {
    const base = mkdtempSync(join(tmpdir(), 'wire-child-'));
    mkdirSync(join(base, acl, 'auth'), { recursive: true });
    writeFileSync(join(base, acl, 'auth', 'password'), '');
    writeFileSync(join(base, acl, 'cmdsn_depth'), '');
    await applyInChild(base, [
      { op: 'write', path: `${acl}/auth/password`, value: 's3cret' },
      { op: 'ensure', path: `${acl}/cmdsn_depth`, value: '64' },
    ], { opTimeoutMs: 5000, totalTimeoutMs: 10_000, progressFile: join(base, 'progress') });
    expect(readFileSync(join(base, acl, 'auth', 'password'), 'utf8')).toBe('s3cret');
    expect(readFileSync(join(base, acl, 'cmdsn_depth'), 'utf8')).toBe('64\n');
  });
});
