import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync, readlinkSync, rmSync, mkdtempSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
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
