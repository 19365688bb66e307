import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
