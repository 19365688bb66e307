import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTreeReader } from '../../lib/stats/tree-reader.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function tree(): string {
  const base = mkdtempSync(join(tmpdir(), 'lioha-tree-'));
  dirs.push(base);
  mkdirSync(join(base, 'a/statistics'), { recursive: true });
  writeFileSync(join(base, 'a/statistics/read_mbytes'), '12\n');
  writeFileSync(join(base, 'a/statistics/num_cmds'), '7\n');
  mkdirSync(join(base, 'b'));
  writeFileSync(join(base, 'b/info'), 'No active iSCSI Session\n');
  return base;
}

describe('TreeReader.readIn (chdir into a statistics directory, bare names)', () => {
  it('reads what read() reads, in order, with undefined for a missing attribute or directory', () => {
    const t = openTreeReader(tree());
    expect(t.readIn('a/statistics', ['read_mbytes', 'gone', 'num_cmds'])).toEqual(['12', undefined, '7']);
    expect(t.readIn('a/statistics', ['read_mbytes'])).toEqual([t.read('a/statistics/read_mbytes')]);
    expect(t.readIn('nowhere', ['x', 'y'])).toEqual([undefined, undefined]);
    // the other readers still resolve from the base while the process is elsewhere
    expect(t.read('b/info')).toBe('No active iSCSI Session');
    expect(t.names('a')).toEqual(['statistics']);
    t.release();
  });

  it('gives the working directory back on release, also for a reader opened on a relative root', () => {
    const base = tree();
    const cwd = process.cwd();
    const t = openTreeReader(relative(cwd, base));
    expect(t.readIn('a/statistics', ['read_mbytes', 'num_cmds'])).toEqual(['12', '7']);
    expect(process.cwd()).toBe(join(base, 'a/statistics'));
    expect(t.read('b/info'), 'a relative root was made absolute before moving').toBe('No active iSCSI Session');
    expect(t.readIn('b', ['info', 'x'])).toEqual(['No active iSCSI Session', undefined]);
    t.release();
    expect(process.cwd()).toBe(cwd);
    t.release();
    expect(process.cwd()).toBe(cwd);
  });
});

describe('readLio leaves the working directory as it found it', () => {
  it('after a full scrape and after a munin read', async () => {
    const { makeNode } = await import('./fixture.js');
    const { readLio } = await import('../../lib/stats/lio.js');
    const node = await makeNode({ luns: 2, acls: 2 });
    try {
      const cwd = process.cwd();
      const s = readLio(openTreeReader(node.base));
      expect(s.targets[0]!.tpgs[0]!.acls[1]!.mappedLuns.map((m) => m.tpgLun)).toEqual([0, 1]);
      expect(process.cwd()).toBe(cwd);
      readLio(openTreeReader(node.base), { counters: 'read' });
      expect(process.cwd()).toBe(cwd);
    } finally {
      node.cleanup();
    }
  });
});
