/**
 * Persistent reservations out of the box, and across a switchover (emulator model of dbroot,
 * its pr/ directory and LIO's APTPL files; docs/target-pr.md).
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createTargetActions } from '../../agents/target/actions.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
import { parseAptpl } from '../../lib/configfs/pr.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { ctxFor, fastTmp, makeRoot } from './setup.js';

const require = createRequire(import.meta.url);
const actions = createTargetActions();
const SERIAL0 = '91cbe9dd-de44-4151-b1fe-4f1f485528f7';
const REG = 'initiator_fabric=iSCSI,initiator_node=iqn.1991-05.com.microsoft:node1,initiator_sid=0x400001370000,sa_res_key=4660,res_holder=1,res_type=05,res_scope=00,target_fabric=iSCSI,target_node=iqn.2016-09.com.example:iscsitgt01,tpgt=1,port_rtpi=1,target_lun=0,mapped_lun=0';

async function call(f: (ctx: never) => Promise<number>, ctx: unknown): Promise<{ code: number; reason?: string }> {
  try { return { code: await f(ctx as never) }; } catch (e) { if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason }; throw e; }
}
const soOf = (base: string, name: string) => {
  const fs = new EmulatedConfigFs(base, []);
  return { fs, dir: () => require('node:fs').readdirSync(join(base, 'core')).map((h: string) => `core/${h}/${name}`).find((d: string) => existsSync(join(base, d))) as string };
};

let a: ReturnType<typeof makeRoot>;
let b: ReturnType<typeof makeRoot>;
let shared: string;
beforeEach(() => {
  a = makeRoot();
  b = makeRoot();
  // The group's filesystem, mounted at /srv/ha on whichever node runs the group.
  shared = mkdtempSync(join(fastTmp(), 'lioha-shared-'));
  for (const n of [a, b]) { mkdirSync(join(n.root, 'srv'), { recursive: true }); symlinkSync(shared, join(n.root, 'srv/ha')); }
  mkdirSync(join(shared, 'pr'));
});
afterEach(() => { a.cleanup(); b.cleanup(); rmSync(shared, { recursive: true, force: true }); });

describe('persistent reservations', () => {
  it('work out of the box: dbroot set as rtslib sets it, with its pr/ directory', async () => {
    const { fs, dir } = soOf(a.base, 'lun0');
    expect(await call(actions.start, ctxFor(a.root, 'start'))).toEqual({ code: 0 });
    expect(readFileSync(join(a.base, 'dbroot'), 'utf8')).toBe('/etc/rtslib-fb-target\n');
    expect(lstatSync(join(a.root, 'etc/rtslib-fb-target/pr')).isDirectory()).toBe(true);
    expect(fs.prOut(dir(), [REG])).toBe('GOOD');
    expect(parseAptpl(readFileSync(join(a.root, `etc/rtslib-fb-target/pr/aptpl_${SERIAL0}`), 'utf8'))).toEqual([REG]);
    // A restart on the same node restores them (what rtslib does at restore).
    expect(await call(actions.stop, ctxFor(a.root, 'stop'))).toEqual({ code: 0 });
    expect(await call(actions.start, ctxFor(a.root, 'start'))).toEqual({ code: 0 });
    expect(fs.restoredRegistrations(dir())).toEqual([REG]);
    expect(await call(actions.monitor, ctxFor(a.root, 'monitor', {}, { checkLevel: 10 }))).toEqual({ code: 0 });
  });

  it('keep the current dbroot when devices are already configured, and still create its pr/', async () => {
    const fs = new EmulatedConfigFs(a.base, []);
    mkdirSync(join(a.root, 'dev/sdz'), { recursive: true });
    rmSync(join(a.root, 'dev/sdz'), { recursive: true });
    require('node:fs').writeFileSync(join(a.root, 'dev/sdz'), '');
    await fs.mkdir('core/iblock_9'); await fs.mkdir('core/iblock_9/manual');
    await fs.write('core/iblock_9/manual/control', 'udev_path=/dev/sdz'); await fs.write('core/iblock_9/manual/enable', '1');
    await fs.write('core/iblock_9/manual/wwn/vpd_unit_serial', '11112222-3333-4444-5555-666677778888');
    await expect(fs.write('dbroot', '/etc')).rejects.toThrow(/EINVAL/);
    // A stock node: dbroot /var/target without pr/, so LIO fails every PR OUT.
    expect(fs.prOut('core/iblock_9/manual', [REG])).toBe('NOT READY');
    expect(await call(actions.start, ctxFor(a.root, 'start'))).toEqual({ code: 0 });
    expect(readFileSync(join(a.base, 'dbroot'), 'utf8')).toBe('/var/target\n');
    expect(lstatSync(join(a.root, 'var/target/pr')).isDirectory()).toBe(true);
    expect(fs.prOut('core/iblock_9/manual', [REG])).toBe('GOOD');
  });

  it('survive a switchover when pr_dir is on the group\'s storage', async () => {
    const p = { pr_dir: '/srv/ha/pr' };
    expect(await call(actions.start, ctxFor(a.root, 'start', p))).toEqual({ code: 0 });
    const link = join(a.root, `etc/rtslib-fb-target/pr/aptpl_${SERIAL0}`);
    expect(readlinkSync(link)).toBe(`/srv/ha/pr/aptpl_${SERIAL0}`);
    const na = soOf(a.base, 'lun0');
    expect(na.fs.prOut(na.dir(), [REG])).toBe('GOOD'); // register + reserve on node A, APTPL
    expect(existsSync(join(shared, `pr/aptpl_${SERIAL0}`))).toBe(true);
    expect(await call(actions.stop, ctxFor(a.root, 'stop', p))).toEqual({ code: 0 });
    // Node B starts the group: the registration and the reservation come back before export.
    expect(await call(actions.start, ctxFor(b.root, 'start', p))).toEqual({ code: 0 });
    const nb = soOf(b.base, 'lun0');
    expect(nb.fs.restoredRegistrations(nb.dir())).toEqual([REG]);
    expect(await call(actions.monitor, ctxFor(b.root, 'monitor', p, { checkLevel: 10 }))).toEqual({ code: 0 });
  });

  it('fail start on this node (rc 1) when pr_dir is not there, e.g. the filesystem is not mounted', async () => {
    const r = await call(actions.start, ctxFor(a.root, 'start', { pr_dir: '/srv/none' }));
    expect(r).toEqual({ code: 1, reason: 'pr_dir /srv/none is not a directory on this node (its filesystem not mounted?)' });
  });

  it('monitor depth 10 reports a missing pr/ directory', async () => {
    expect(await call(actions.start, ctxFor(a.root, 'start'))).toEqual({ code: 0 });
    rmSync(join(a.root, 'etc/rtslib-fb-target/pr'), { recursive: true });
    const r = await call(actions.monitor, ctxFor(a.root, 'monitor', {}, { checkLevel: 10 }));
    expect(r).toEqual({ code: 1, reason: '/etc/rtslib-fb-target/pr is missing: persistent reservations fail (NOT READY)' });
  });
});
