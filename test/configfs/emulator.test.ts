import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync, readlinkSync, rmSync, mkdtempSync, mkdirSync, writeFileSync, lstatSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EmulatedConfigFs, authMethodAfter } from '../../lib/configfs/emulator.js';
import { NodeConfigFs } from '../../lib/configfs/node-backend.js';
import { createEmulatedConfigFs } from '../../lib/configfs/emulator-fixture.js';
import { GuardedConfigFs, ConfigFsHangError } from '../../lib/configfs/io.js';
import { fastTmp } from '../target/setup.js';

const RECORDING = new URL('../fixtures/target/configfs-tree-6.1.txt', import.meta.url);
const T = 'iscsi/iqn.2016-09.com.example:t1';

let root: string;
let base: string;
let fs: EmulatedConfigFs;
beforeEach(() => {
  root = mkdtempSync(join(fastTmp(), 'lioha-emu-'));
  base = createEmulatedConfigFs(root);
  fs = new EmulatedConfigFs(base, []);
  readdirSync(root); // root exists
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(`${e.isDirectory() ? 'D' : e.isSymbolicLink() ? 'L' : 'F' + (statSync(p).mode & 0o777).toString(8)} ${relative(base, p)}`);
    if (e.isDirectory()) out.push(...walk(p));
  }
  return out;
}

async function blockObject(hba = 'iblock_0', name = 'lun0', dev = '/dev/sda'): Promise<string> {
  await fs.mkdir(`core/${hba}`);
  await fs.mkdir(`core/${hba}/${name}`);
  await fs.write(`core/${hba}/${name}/control`, `udev_path=${dev}`);
  return `core/${hba}/${name}`;
}

describe('configfs emulator, checked against a recorded 6.1 kernel tree', () => {
  it('mkdir of a block storage object creates the same files, modes and default groups as the kernel', async () => {
    await blockObject();
    const recorded = readFileSync(RECORDING, 'utf8').split('\n')
      .filter((l) => l.includes('./core/iblock_0/lun0/'))
      .map((l) => l.replace(/ = .*$/, '').replace(/^F (\d+) /, 'F$1 ').replace('./', ''))
      .sort();
    const made = walk(join(base, 'core/iblock_0/lun0')).sort();
    expect(made).toEqual(recorded);
  });

  it('default groups cannot be removed or created; attribute groups are not mkdir-able', async () => {
    const so = await blockObject();
    expect(await code(fs.rmdir(`${so}/attrib`))).toBe('EPERM');
    expect(await code(fs.rmdir(`${so}/alua/default_tg_pt_gp`))).toBe('EPERM');
    expect(await code(fs.mkdir(`${so}/attrib/foo`))).toBe('EPERM');
    expect(await code(fs.mkdir('core/nosuchplugin_3'))).toBe('EINVAL');
    expect(await code(fs.mkdir('iscsi/not-an-iqn'))).toBe('EINVAL');
    expect(await code(fs.mkdir('core/iblock_0'))).toBe('EEXIST');
  });

  it('enable needs the device to exist; a LUN link needs an enabled object', async () => {
    const so = await blockObject('iblock_0', 'lun0', '/dev/vgx/lv');
    await fs.mkdir(T);
    await fs.mkdir(`${T}/tpgt_1`);
    await fs.mkdir(`${T}/tpgt_1/lun/lun_0`);
    expect(await code(fs.symlink(so, `${T}/tpgt_1/lun/lun_0/a`))).toBe('ENODEV');
    expect(await code(fs.write(`${so}/enable`, '1'))).toBe('ENOENT');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(root, 'dev/vgx'), { recursive: true });
    writeFileSync(join(root, 'dev/vgx/lv'), '');
    await fs.write(`${so}/enable`, '1');
    expect(await code(fs.write(`${so}/enable`, '1'))).toBe('EEXIST');
    await fs.symlink(so, `${T}/tpgt_1/lun/lun_0/a`);
    expect(readlinkSync(join(base, `${T}/tpgt_1/lun/lun_0/a`))).toBe('../../../../../../target/core/iblock_0/lun0');
    expect(await code(fs.symlink(so, `${T}/tpgt_1/lun/lun_0/b`))).toBe('EEXIST');
    // A mapped LUN may only link to a LUN of its own TPG; a LUN only to a storage object.
    await fs.mkdir(`${T}/tpgt_1/acls/iqn.1994-05.com.redhat:ini`);
    await fs.mkdir(`${T}/tpgt_1/acls/iqn.1994-05.com.redhat:ini/lun_0`);
    expect(await code(fs.symlink(so, `${T}/tpgt_1/acls/iqn.1994-05.com.redhat:ini/lun_0/m`))).toBe('EINVAL');
    await fs.symlink(`${T}/tpgt_1/lun/lun_0`, `${T}/tpgt_1/acls/iqn.1994-05.com.redhat:ini/lun_0/m`);
    // rmdir refuses linked or non-empty objects, in kernel order.
    expect(await code(fs.rmdir(so))).toBe('EBUSY');
    expect(await code(fs.rmdir(`${T}/tpgt_1/lun/lun_0`))).toBe('ENOTEMPTY');
    expect(await code(fs.rmdir(`${T}/tpgt_1`))).toBe('ENOTEMPTY');
    expect(await code(fs.rmdir(T))).toBe('ENOTEMPTY');
    expect(await code(fs.rmdir('core/iblock_0'))).toBe('ENOTEMPTY');
    // Serial and product id cannot change while exported.
    expect(await code(fs.write(`${so}/wwn/vpd_unit_serial`, 'abc'))).toBe('EINVAL');
    expect(await code(fs.write(`${so}/wwn/product_id`, 'x'))).toBe('EINVAL');
    await fs.unlink(`${T}/tpgt_1/acls/iqn.1994-05.com.redhat:ini/lun_0/m`);
    expect(await code(fs.rmdir(`${T}/tpgt_1/lun/lun_0`))).toBe('ENOTEMPTY');
    await fs.unlink(`${T}/tpgt_1/lun/lun_0/a`);
    await fs.write(`${so}/wwn/vpd_unit_serial`, 'abc');
    expect(await fs.read(`${so}/wwn/vpd_unit_serial`)).toBe('T10 VPD Unit Serial Number: abc');
    expect(await code(fs.unlink(`${so}/enable`))).toBe('EPERM');
  });

  it('validates writes where the kernel does: read-only, write-only, Yes/No params, blanks', async () => {
    const so = await blockObject();
    await fs.mkdir(T);
    await fs.mkdir(`${T}/tpgt_1`);
    expect(await code(fs.read(`${so}/control`))).toBe('EACCES');
    expect(await code(fs.write(`${so}/info`, 'x'))).toBe('EACCES');
    expect(await code(fs.write(`${so}/attrib/hw_block_size`, '4096'))).toBe('EACCES');
    expect(await code(fs.write(`${so}/attrib/block_size`, '1000'))).toBe('EINVAL');
    expect(await code(fs.write(`${so}/control`, 'bogus=1'))).toBe('EINVAL');
    expect(await code(fs.write(`${T}/tpgt_1/param/InitialR2T`, 'No '))).toBe('EINVAL'); // rtslib's "%s \n"
    await fs.write(`${T}/tpgt_1/param/InitialR2T`, 'No');
    expect(readFileSync(join(base, `${T}/tpgt_1/param/InitialR2T`), 'utf8')).toBe('No\n');
    expect(await code(fs.write(`${T}/tpgt_1/param/MaxBurstLength`, 'lots'))).toBe('EINVAL');
    expect(await code(fs.write(`${T}/tpgt_1/attrib/generate_node_acls`, '2'))).toBe('EINVAL');
    expect(await code(fs.write(`${T}/tpgt_1/enable`, 'yes'))).toBe('EINVAL');
    expect(await code(fs.write(`${T}/tpgt_1/nosuchfile`, '1'))).toBe('ENOENT');
    expect(await code(fs.write(`${T}/tpgt_1/auth/authenticate_target`, '1'))).toBe('EACCES');
    await fs.write(`${T}/tpgt_1/auth/userid_mutual`, 'tgt');
    await fs.write(`${T}/tpgt_1/auth/password_mutual`, 'secret');
    expect(await fs.read(`${T}/tpgt_1/auth/authenticate_target`)).toBe('1');
    expect(await code(fs.mkdir(`${T}/tpgt_1/np/10.0.0.1`))).toBe('EINVAL');
    await fs.mkdir(`${T}/tpgt_1/np/[fd00::1]:3260`);
  });

  it('the node backend writes value\\n in one write, without a trailing blank', async () => {
    const nodefs = new NodeConfigFs(base);
    await fs.mkdir(T);
    await fs.mkdir(`${T}/tpgt_1`);
    await nodefs.write(`${T}/tpgt_1/param/InitialR2T`, 'No');
    expect(readFileSync(join(base, `${T}/tpgt_1/param/InitialR2T`), 'utf8')).toBe('No\n');
    expect(await nodefs.read(`${T}/tpgt_1/param/InitialR2T`)).toBe('No');
  });

  it('a hung operation is cut off by the guard and reported as ETIMEDOUT', async () => {
    const hung = new GuardedConfigFs(new EmulatedConfigFs(base, [{ op: 'write', path: 'enable', error: 'hang' }]), () => 200);
    await fs.mkdir(T);
    await fs.mkdir(`${T}/tpgt_1`);
    const t0 = Date.now();
    await expect(hung.write(`${T}/tpgt_1/enable`, '1')).rejects.toBeInstanceOf(ConfigFsHangError);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(hung.counts.write).toBe(1);
  });
});

describe('configfs emulator: kernel side effects measured on 6.1', () => {
  it('a new storage object starts with emulate_model_alias=0 (DA_EMULATE_MODEL_ALIAS)', async () => {
    const so = await blockObject();
    expect(await fs.read(`${so}/attrib/emulate_model_alias`)).toBe('0');
    await fs.mkdir('core/rd_mcp_1');
    await fs.mkdir('core/rd_mcp_1/rd0');
    expect(await fs.read('core/rd_mcp_1/rd0/attrib/emulate_model_alias')).toBe('0');
  });

  it('writing attrib/authentication changes param/AuthMethod as iscsit_ta_authentication() does', async () => {
    await fs.mkdir(T);
    await fs.mkdir(`${T}/tpgt_1`);
    const am = () => fs.read(`${T}/tpgt_1/param/AuthMethod`);
    expect(await am()).toBe('CHAP,None');
    await fs.write(`${T}/tpgt_1/attrib/authentication`, '1');
    expect(await am()).toBe('CHAP');
    await fs.write(`${T}/tpgt_1/attrib/authentication`, '0');
    expect(await am()).toBe('CHAP,None');
    await fs.write(`${T}/tpgt_1/param/AuthMethod`, 'None');
    await fs.write(`${T}/tpgt_1/attrib/authentication`, '1');
    expect(await am()).toBe('None'); // a lone None stays
    expect(authMethodAfter('None,CHAP', true)).toBe('CHAP');
    expect(authMethodAfter('CHAP', false)).toBe('CHAP,None');
  });
});

// A configfs syscall either happens or not. The emulator is cut short (its crash-test seam) at every
// internal step of every operation of a script, and the tree seen by the next process must then equal the
// tree before or after that operation: never a half-built storage object, a half-removed target or a
// half-applied attribute write. (test/target/crash.test.ts does the same with SIGKILL on the built agent.)
describe('configfs emulator: every operation is atomic when cut short', () => {
  const ops: ((f: EmulatedConfigFs) => Promise<void>)[] = [
    (f) => f.mkdir('core/iblock_0'),
    (f) => f.mkdir('core/iblock_0/lun0'),
    (f) => f.write('core/iblock_0/lun0/control', 'udev_path=/dev/vgx/lv'),
    (f) => f.write('core/iblock_0/lun0/enable', '1'),
    (f) => f.mkdir(T),
    (f) => f.mkdir(`${T}/tpgt_1`),
    (f) => f.write(`${T}/tpgt_1/attrib/authentication`, '1'),
    (f) => f.write(`${T}/tpgt_1/auth/userid_mutual`, 'tgt'),
    (f) => f.write(`${T}/tpgt_1/auth/password_mutual`, 'secret'),
    (f) => f.mkdir(`${T}/tpgt_1/lun/lun_0`),
    (f) => f.symlink('core/iblock_0/lun0', `${T}/tpgt_1/lun/lun_0/a`),
    (f) => f.mkdir(`${T}/tpgt_1/acls/iqn.1994-05.com.redhat:ini`),
    (f) => f.unlink(`${T}/tpgt_1/lun/lun_0/a`),
    (f) => f.rmdir(`${T}/tpgt_1/lun/lun_0`),
    (f) => f.rmdir(`${T}/tpgt_1/acls/iqn.1994-05.com.redhat:ini`),
    (f) => f.rmdir('core/iblock_0/lun0'),
  ];

  /** The whole visible tree: kind, mode, value, link target of every entry. */
  function snapshot(): string {
    const out: string[] = [];
    const walkAll = (rel: string) => {
      for (const name of readdirSync(join(base, rel)).sort()) {
        if (name.startsWith('.lioha')) continue;
        const r = rel ? `${rel}/${name}` : name;
        const st = lstatSync(join(base, r));
        if (st.isSymbolicLink()) out.push(`L ${r} ${readlinkSync(join(base, r))}`);
        else if (st.isDirectory()) { out.push(`D ${r}`); walkAll(r); }
        else out.push(`F ${r} ${(st.mode & 0o777).toString(8)} ${JSON.stringify(readFileSync(join(base, r), 'utf8'))}`);
      }
    };
    walkAll('');
    return out.join('\n');
  }
  const fresh = () => {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    base = createEmulatedConfigFs(root);
    mkdirSync(join(root, 'dev/vgx'), { recursive: true });
    writeFileSync(join(root, 'dev/vgx/lv'), '');
  };

  it('a crash at any step of mkdir, rmdir, write, symlink and unlink leaves the tree before or after the op', async () => {
    fresh();
    const states = [snapshot()];
    for (const op of ops) {
      await op(new EmulatedConfigFs(base, []));
      states.push(snapshot());
    }
    let crashes = 0;
    /** Crashes operation i at `step`; false when the operation has fewer steps. */
    const crashAt = async (i: number, step: number): Promise<boolean> => {
      fresh();
      const plain = new EmulatedConfigFs(base, []);
      for (const op of ops.slice(0, i - 1)) await op(plain);
      const r = await ops[i - 1]!(new EmulatedConfigFs(base, [], { op: 1, step, throw: true })).then(() => 'done', (e: Error) => e.name);
      if (r === 'done') return false;
      expect(r).toBe('EmulatorCrash');
      crashes++;
      new EmulatedConfigFs(base, []); // what the next process sees: it finishes a committed change first
      expect([states[i - 1], states[i]], `crashed in operation ${i} at step ${step}`).toContain(snapshot());
      return true;
    };
    for (let i = 1; i <= ops.length; i++) {
      // Every step of the short operations; in a long mkdir the first steps, every 7th, and the last three.
      let last = -1;
      for (let step = 0; ; step = step < 6 ? step + 1 : step + 7) {
        if (!(await crashAt(i, step))) {
          for (let s = Math.max(last + 1, step - 3); s < step; s++) await crashAt(i, s);
          break;
        }
        last = step;
      }
    }
    expect(crashes).toBeGreaterThan(60);
  });
});
