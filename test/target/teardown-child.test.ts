/**
 * Stop's teardown plan as a real kernel gets it: through the sh child (lib/configfs/child-apply.ts),
 * batched, on a plain tree made of exactly the directories and links the plan removes, where rmdir
 * refuses a directory that still holds anything: the plan's order (links, then directories, children
 * first) must remove all of it, in one call per kind.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTargetActions } from '../../agents/target/actions.js';
import { applyInChild, steps } from '../../lib/configfs/child-apply.js';
import { openConfigFs } from '../../lib/configfs/open.js';
import { planTeardown, type PlanOp } from '../../lib/configfs/plan.js';
import { readLive } from '../../lib/configfs/reader.js';
import { ctxFor, fastTmp, IQN, makeRoot } from './setup.js';

let fx: ReturnType<typeof makeRoot>;
let plain: string;
beforeEach(() => { fx = makeRoot(); plain = mkdtempSync(join(fastTmp(), 'lioha-plain-')); });
afterEach(() => { fx.cleanup(); rmSync(plain, { recursive: true, force: true }); });

/**
 * The directories the plan removes (each marked as a configfs item by a `.item` file) and the links it
 * unlinks; the directories in between (acls/, lun/, np/, ...) stand for the kernel's default groups.
 */
function treeOf(ops: readonly PlanOp[], base: string): void {
  for (const o of ops) if (o.op === 'rmdir') { mkdirSync(join(base, o.path), { recursive: true }); writeFileSync(join(base, o.path, '.item'), ''); }
  for (const o of ops) if (o.op === 'unlink') symlinkSync('/nowhere', join(base, o.path));
}

/**
 * rmdir as configfs does it, found first on PATH: an item goes with its default groups, and is refused
 * (ENOTEMPTY) while it holds a link or a child item. Each path in order; a refusal does not stop the rest.
 */
const RMDIR = `#!/bin/sh
rc=0
for d; do
  [ "$d" = -- ] && continue
  if [ -n "$(find "$d" -mindepth 1 '(' -type l -o -mindepth 2 -name .item ')' -print -quit)" ]; then
    echo "rmdir: failed to remove '$d': Directory not empty" >&2; rc=1
  else rm -r -- "$d" || rc=1; fi
done
exit $rc
`;

describe('stop teardown through the sh child on a plain tree', () => {
  it('removes every directory and link of the 4x4 target and its storage objects in a few calls', async () => {
    const actions = createTargetActions();
    expect(await actions.start(ctxFor(fx.root, 'start'))).toBe(0);
    const cfs = await openConfigFs((p) => join(fx.root, p), () => 10_000);
    const live = await readLive(cfs, [IQN], 'tree');
    const ops = planTeardown([IQN], live, new Set(live.storageObjects.keys()));
    treeOf(ops, plain);
    // one write (the disable) and two batched calls: every link, then every directory
    expect(steps(ops).map((c) => [c.ops[0]!.op, c.ops.length])).toEqual([['write', 1], ['unlink', 20], ['rmdir', 35]]);
    const bin = join(plain, '..', `${plain.split('/').pop()}-bin`);
    mkdirSync(bin);
    writeFileSync(join(bin, 'rmdir'), RMDIR, { mode: 0o755 });
    const saved = process.env.LIOHA_PATH;
    process.env.LIOHA_PATH = bin;
    try {
      await applyInChild(plain, ops.filter((o) => o.op !== 'write'), { opTimeoutMs: 5000, totalTimeoutMs: 60_000, progressFile: `${plain}.progress` });
    } finally {
      if (saved === undefined) delete process.env.LIOHA_PATH; else process.env.LIOHA_PATH = saved;
      rmSync(bin, { recursive: true, force: true });
    }
    for (const o of ops) expect(existsSync(join(plain, o.path)), o.path).toBe(false);
    expect(readdirSync(join(plain, 'iscsi'))).not.toContain(IQN);
    expect(readdirSync(join(plain, 'core')).filter((h) => /^(iblock|fileio|rd_mcp|pscsi)_\d+$/.test(h))).toEqual([]);
  });
});
