import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openIfPresent, readTextIfPresent } from '../../lib/sys/read-if-present.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lioha-present-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('files that may be absent', () => {
  it('a missing file is null, for the text and for a handle', async () => {
    expect(await readTextIfPresent(join(dir, 'none'))).toBeNull();
    expect(await openIfPresent(join(dir, 'none'), 'r')).toBeNull();
  });
  it('a present file gives its text, or a handle opened as asked', async () => {
    writeFileSync(join(dir, 'f'), 'state\n');
    expect(await readTextIfPresent(join(dir, 'f'))).toBe('state\n');
    const fh = (await openIfPresent(join(dir, 'f'), 'r+'))!;
    try {
      await fh.write('STATE', 0, 'utf8');
      expect((await fh.stat()).size).toBe(6);
    } finally { await fh.close(); }
    expect(await readTextIfPresent(join(dir, 'f'))).toBe('STATE\n');
  });
  it('any other error is thrown, not taken for absence', async () => {
    writeFileSync(join(dir, 'f'), '');
    await expect(readTextIfPresent(join(dir, 'f', 'under-a-file'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(openIfPresent(join(dir, 'f', 'under-a-file'), 'r')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(readTextIfPresent(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
