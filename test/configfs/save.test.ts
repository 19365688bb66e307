import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoDir } from '../helpers/agent.js';
import { writePrivateFile } from '../../lib/sys/private-file.js';
import { createTargetActions } from '../../agents/target/actions.js';
import { saveLive, listTargets } from '../../lib/configfs/save.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
import { parseSaveConfig } from '../../lib/configfs/saveconfig.js';
import { ctxFor, makeRoot, IQN, OTHER } from '../target/setup.js';

let fx: ReturnType<typeof makeRoot>;
beforeEach(() => { fx = makeRoot(); });
afterEach(() => fx.cleanup());

describe('lioha target save', () => {
  it('dumps live targets as a saveconfig.json that the agent accepts and finds identical at depth 10', async () => {
    const a = createTargetActions();
    await a.start(ctxFor(fx.root, 'start'));
    await a.start(ctxFor(fx.root, 'start', { iqn: OTHER, config: '/etc/target/other.json' }));
    const cfs = new EmulatedConfigFs(fx.base, []);
    expect(await listTargets(cfs)).toEqual([IQN, OTHER]);
    const text = await saveLive(cfs, [IQN]);
    const cfg = parseSaveConfig(text, 'saved.json');
    expect([...cfg.targets.keys()]).toEqual([IQN]); // only what was asked
    expect([...cfg.storageObjects.keys()]).toEqual([0, 1, 2, 3].map((i) => `/backstores/block/lun${i}`));
    const so = cfg.storageObjects.get('/backstores/block/lun0')!;
    expect(so).toMatchObject({ kind: 'block', dev: '/dev/vg1/lv-lun0', readonly: false, wwn: '91cbe9dd-de44-4151-b1fe-4f1f485528f7' });
    expect(so.attributes).not.toHaveProperty('hw_block_size'); // read-only attributes are not configuration
    const tpg = cfg.targets.get(IQN)!.tpgs[0]!;
    expect(tpg.acls).toHaveLength(4);
    expect(tpg.acls.find((x) => x.nodeWwn.endsWith('initiator01'))!.auth).toEqual({ userid: 'iscsiuser01', password: 'password-user01', mutualUserid: 'tgtuser', mutualPassword: 'tgt-secret-01' });
    expect(tpg.parameters.InitialR2T).toBe('No');
    expect(tpg.portals).toEqual([{ ip: '10.110.88.59', port: 3260, iser: false }]);
    // Round trip: the dump describes exactly what is live.
    writeFileSync(join(fx.root, 'etc/target/saved.json'), text, { mode: 0o600 });
    expect(await a.monitor(ctxFor(fx.root, 'monitor', { config: '/etc/target/saved.json' }, { checkLevel: 10 }))).toBe(0);
    const other = parseSaveConfig(await saveLive(cfs, [OTHER]), 'o');
    expect(other.storageObjects.get('/backstores/ramdisk/rd0')).toMatchObject({ kind: 'ramdisk', size: 16777216, nullio: false });
    expect(other.targets.get(OTHER)!.tpgs[0]!.portals).toEqual([{ ip: 'fd00::59', port: 3260, iser: false }]);
  });

  it('refuses to dump a target that does not exist', async () => {
    await expect(saveLive(new EmulatedConfigFs(fx.base, []), ['iqn.2016-09.com.example:nope'])).rejects.toThrow(/does not exist/);
  });
});

describe('lioha target save -o', () => {
  const cli = join(repoDir, 'dist/bin/lioha');
  it.skipIf(!existsSync(cli))('writes 0600 through an exclusive random temp file: planted F.temp symlink and an old 0644 file do not leak', async () => {
    await createTargetActions().start(ctxFor(fx.root, 'start'));
    const out = join(fx.root, 'saved.json');
    const victim = join(fx.root, 'victim');
    writeFileSync(victim, 'untouched\n', { mode: 0o644 });
    symlinkSync(victim, `${out}.temp`); // the old code wrote through this link
    writeFileSync(out, '{}\n', { mode: 0o644 });
    chmodSync(out, 0o644);
    const r = spawnSync(cli, ['target', 'save', '--root', fx.root, '-o', out], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(lstatSync(out).isFile()).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('password-user01');
    expect(readdirSync(fx.root).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('writePrivateFile replaces a symlink at the destination instead of writing through it', async () => {
    const victim = join(fx.root, 'victim2');
    writeFileSync(victim, 'untouched\n');
    const out = join(fx.root, 'out.json');
    symlinkSync(victim, out);
    await writePrivateFile(out, 'secret\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(lstatSync(out).isFile()).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});
