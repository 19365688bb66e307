import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, mkdirSync, writeFileSync, chmodSync, unlinkSync, readlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { createTargetActions } from '../../agents/target/actions.js';
import { setEmulatorFaults } from '../../lib/configfs/emulator-fixture.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
import { TEMPLATES } from '../../lib/configfs/emulator-templates.js';
import { deriveSerial } from '../../lib/configfs/desired.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import type { LogLine } from '../helpers/context.js';
import { ctxFor, makeRoot, IQN, OTHER, CONFIG } from './setup.js';

const actions = createTargetActions();
const T = `iscsi/${IQN}/tpgt_1`;

/** Runs an action the way dispatch does: a Failure becomes its code and reason. */
async function call(f: (ctx: never) => Promise<OcfExit>, ctx: unknown): Promise<{ code: number; reason?: string }> {
  try {
    return { code: await f(ctx as never) };
  } catch (e) {
    if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason };
    throw e;
  }
}

let fx: ReturnType<typeof makeRoot>;
beforeEach(() => { fx = makeRoot(); });
afterEach(() => fx.cleanup());

const read = (rel: string) => readFileSync(join(fx.base, rel), 'utf8');
const start = (p: Record<string, string> = {}, lines?: LogLine[]) => call(actions.start, ctxFor(fx.root, 'start', p, lines ? { lines } : {}));
const stop = (p: Record<string, string> = {}, lines?: LogLine[]) => call(actions.stop, ctxFor(fx.root, 'stop', p, lines ? { lines } : {}));
const monitor = (p: Record<string, string> = {}, checkLevel = 0) => call(actions.monitor, ctxFor(fx.root, 'monitor', p, { checkLevel }));

describe('target agent on the configfs emulator', () => {
  it('start corrects a kernel whose fresh-TPG defaults differ from the known ones, and says so', async () => {
    // The fixture wants MaxConnections=1, the known default: start plans no write for it.
    const tpl = TEMPLATES.tpg as unknown as [string, number | 'd', string?][];
    const entry = tpl.find((e) => e[0] === 'param/MaxConnections')!;
    const saved = entry[2];
    entry[2] = '2\n';
    try {
      const lines: LogLine[] = [];
      expect(await start({}, lines)).toEqual({ code: OcfExit.SUCCESS });
      expect(read(`${T}/param/MaxConnections`)).toBe('1\n');
      expect(lines.some((l) => l.level === 'warn' && /kernel defaults differ/.test(l.msg))).toBe(true);
    } finally {
      entry[2] = saved;
    }
    expect((await monitor({}, 10)).code).toBe(OcfExit.SUCCESS);
  });

  it('creates the 4 LUN / 4 ACL target from a real-looking saveconfig.json', async () => {
    expect((await monitor()).code).toBe(OcfExit.NOT_RUNNING);
    const lines: LogLine[] = [];
    expect(await start({}, lines)).toEqual({ code: OcfExit.SUCCESS });
    // Storage objects: one HBA each, configured device, stable serial, product id = name.
    for (let i = 0; i < 4; i++) {
      const so = `core/iblock_${i}/lun${i}`;
      expect(read(`${so}/udev_path`)).toBe(`/dev/vg1/lv-lun${i}\n`);
      expect(read(`${so}/enable`)).toBe('1\n');
      expect(read(`${so}/wwn/product_id`)).toBe(`lun${i}\n`);
    }
    expect(read('core/iblock_0/lun0/wwn/vpd_unit_serial')).toBe('T10 VPD Unit Serial Number: 91cbe9dd-de44-4151-b1fe-4f1f485528f7\n');
    // LUN links exactly as the kernel shows them, with the configured alias.
    expect(readlinkSync(join(fx.base, `${T}/lun/lun_0/6f916611dc`))).toBe('../../../../../../target/core/iblock_0/lun0');
    // TPG parameters written as value\n, no trailing blank.
    expect(read(`${T}/param/InitialR2T`)).toBe('No\n');
    expect(read(`${T}/attrib/generate_node_acls`)).toBe('0\n');
    expect(read(`${T}/enable`)).toBe('1\n');
    expect(readdirSync(join(fx.base, `${T}/np`))).toEqual(['10.110.88.59:3260']);
    const acls = readdirSync(join(fx.base, `${T}/acls`)).sort();
    expect(acls).toHaveLength(4);
    for (const a of acls) expect(readdirSync(join(fx.base, `${T}/acls/${a}`)).filter((n) => n.startsWith('lun_')).sort()).toEqual(['lun_0', 'lun_1', 'lun_2', 'lun_3']);
    const ini1 = `${T}/acls/iqn.2016-09.com.example:initiator01`;
    expect(read(`${ini1}/auth/userid`)).toBe('iscsiuser01\n');
    expect(read(`${ini1}/auth/password`)).toBe('password-user01\n');
    expect(read(`${ini1}/auth/authenticate_target`)).toBe('1\n'); // mutual CHAP
    expect(read(`${T}/acls/iqn.2016-09.com.example:initiator02/auth/authenticate_target`)).toBe('0\n');
    expect((await monitor()).code).toBe(OcfExit.SUCCESS);
    expect((await monitor({}, 10)).code).toBe(OcfExit.SUCCESS);
    // Secrets never reach the log.
    expect(JSON.stringify(lines)).not.toMatch(/password-user|tgt-secret/);
    const started = lines.find((l) => l.msg === 'target started')!.fields as Record<string, number>;
    expect(started.mkdir).toBe(4 + 4 + 1 + 1 + 4 + 1 + 4 + 16); // HBAs, SOs, target, TPG, LUNs, portal, ACLs, mapped LUNs
    expect(started.symlink).toBe(4 + 16);
  });

  it('a second start is idempotent: no configfs change at all', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    const lines: LogLine[] = [];
    expect((await start({}, lines)).code).toBe(OcfExit.SUCCESS);
    const f = lines.find((l) => l.msg === 'target started')!.fields as Record<string, number>;
    expect(f.mutating).toBe(0);
  });

  it('repairs drift, and monitor depth 10 names the first difference', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    const fs = new EmulatedConfigFs(fx.base, []);
    const ini3 = `${T}/acls/iqn.2016-09.com.example:initiator03`;
    const link = readdirSync(join(fx.base, `${ini3}/lun_2`)).find((n) => n !== 'write_protect' && n !== 'statistics')!;
    await fs.unlink(`${ini3}/lun_2/${link}`);
    await fs.rmdir(`${ini3}/lun_2`);
    await fs.write(`${T}/param/MaxBurstLength`, '65536');
    await fs.write(`${T}/acls/iqn.2016-09.com.example:initiator04/auth/password`, 'guessed');
    await fs.mkdir(`${T}/np/192.0.2.1:3260`);
    // Depth 0 checks target, TPG and LUNs only: still fine.
    expect((await monitor()).code).toBe(OcfExit.SUCCESS);
    const m = await monitor({}, 10);
    expect(m.code).toBe(OcfExit.ERR_GENERIC);
    expect(m.reason).toBe(`${IQN} TPG 1 parameter: MaxBurstLength is 65536, configured 262144`);
    expect((await start()).code).toBe(OcfExit.SUCCESS);
    expect((await monitor({}, 10)).code).toBe(OcfExit.SUCCESS);
    expect(read(`${T}/param/MaxBurstLength`)).toBe('262144\n');
    expect(existsSync(join(fx.base, `${ini3}/lun_2`))).toBe(true);
    expect(existsSync(join(fx.base, `${T}/np/192.0.2.1:3260`))).toBe(false);
    expect(read(`${T}/acls/iqn.2016-09.com.example:initiator04/auth/password`)).toBe('password-user04\n');
  });

  it('repairs authentication drift although the kernel rewrites AuthMethod when authentication is written', async () => {
    // A configuration that keeps None in AuthMethod with authentication=1 (restorable: attributes go first).
    const cfg = JSON.parse(readFileSync(join(fx.root, CONFIG), 'utf8')) as { targets: { tpgs: { parameters: Record<string, string> }[] }[] };
    cfg.targets[0]!.tpgs[0]!.parameters.AuthMethod = 'CHAP,None';
    writeFileSync(join(fx.root, CONFIG), JSON.stringify(cfg), { mode: 0o600 });
    expect((await start()).code).toBe(OcfExit.SUCCESS);
    expect(read(`${T}/param/AuthMethod`)).toBe('CHAP,None\n');
    await new EmulatedConfigFs(fx.base, []).write(`${T}/attrib/authentication`, '0'); // AuthMethod keeps its None
    expect((await start()).code).toBe(OcfExit.SUCCESS); // writing authentication=1 strips None; the agent restores it
    expect(read(`${T}/attrib/authentication`)).toBe('1\n');
    expect(read(`${T}/param/AuthMethod`)).toBe('CHAP,None\n');
    expect((await monitor({}, 10)).code).toBe(OcfExit.SUCCESS);
  });

  it('monitor: password drift is reported without the password', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    await new EmulatedConfigFs(fx.base, []).write(`${T}/acls/iqn.2016-09.com.example:initiator02/auth/password`, 'guessed');
    const m = await monitor({}, 10);
    expect(m.reason).toBe(`${IQN} TPG 1 ACL iqn.2016-09.com.example:initiator02: CHAP password differs from the configuration`);
  });

  it('monitor: disabled TPG and a LUN backed by the wrong device are errors at depth 0', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    const fs = new EmulatedConfigFs(fx.base, []);
    await fs.write(`${T}/enable`, '0');
    expect(await monitor()).toEqual({ code: OcfExit.ERR_GENERIC, reason: `${IQN} TPG 1 is not enabled` });
    await fs.write(`${T}/enable`, '1');
    // Replace LUN 3's device by hand (mapped LUNs first, as the kernel requires).
    for (const a of readdirSync(join(fx.base, `${T}/acls`))) {
      const d = `${T}/acls/${a}/lun_3`;
      const l = readdirSync(join(fx.base, d)).find((n) => n !== 'write_protect' && n !== 'statistics')!;
      await fs.unlink(`${d}/${l}`);
      await fs.rmdir(d);
    }
    const l3 = readdirSync(join(fx.base, `${T}/lun/lun_3`)).find((n) => !n.startsWith('alua') && n !== 'statistics')!;
    await fs.unlink(`${T}/lun/lun_3/${l3}`);
    await fs.symlink('core/iblock_2/lun2', `${T}/lun/lun_3/${l3}`);
    expect(await monitor()).toEqual({ code: OcfExit.ERR_GENERIC, reason: `${IQN} TPG 1 LUN 3 is backed by /backstores/block/lun2, configured /backstores/block/lun3` });
    expect((await start()).code).toBe(OcfExit.SUCCESS);
    expect((await monitor({}, 10)).code).toBe(OcfExit.SUCCESS);
  });

  it('a storage object pointing at the wrong device is recreated with its LUN and mapped LUNs', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    writeFileSync(join(fx.root, 'dev/vg1/lv-stale'), '');
    await new EmulatedConfigFs(fx.base, []).write('core/iblock_0/lun0/udev_path', '/dev/vg1/lv-stale');
    expect(await monitor()).toEqual({ code: OcfExit.ERR_GENERIC, reason: `${IQN} TPG 1 LUN 0: storage object /backstores/block/lun0 uses /dev/vg1/lv-stale, configured /dev/vg1/lv-lun0` });
    expect((await start()).code).toBe(OcfExit.SUCCESS);
    expect((await monitor({}, 10)).code).toBe(OcfExit.SUCCESS);
    // The old HBA went away with its object; the new one took the lowest free index.
    expect(readdirSync(join(fx.base, 'core')).sort()).toEqual(['alua', 'iblock_0', 'iblock_1', 'iblock_2', 'iblock_3']);
    expect(read('core/iblock_0/lun0/udev_path')).toBe('/dev/vg1/lv-lun0\n');
    for (const a of readdirSync(join(fx.base, `${T}/acls`))) expect(existsSync(join(fx.base, `${T}/acls/${a}/lun_0`))).toBe(true);
  });

  it('monitor: partial leftovers are an error, not "stopped"', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    const fs = new EmulatedConfigFs(fx.base, []);
    // Remove the target by hand but leave the storage objects.
    for (const a of readdirSync(join(fx.base, `${T}/acls`))) {
      for (const ml of readdirSync(join(fx.base, `${T}/acls/${a}`)).filter((n) => n.startsWith('lun_'))) {
        const d = `${T}/acls/${a}/${ml}`;
        await fs.unlink(`${d}/${readdirSync(join(fx.base, d)).find((n) => n !== 'write_protect' && n !== 'statistics')}`);
        await fs.rmdir(d);
      }
      await fs.rmdir(`${T}/acls/${a}`);
    }
    for (const l of readdirSync(join(fx.base, `${T}/lun`))) {
      const d = `${T}/lun/${l}`;
      await fs.unlink(`${d}/${readdirSync(join(fx.base, d)).find((n) => !n.startsWith('alua') && n !== 'statistics')}`);
      await fs.rmdir(d);
    }
    await fs.rmdir(`${T}/np/10.110.88.59:3260`);
    await fs.rmdir(T);
    await fs.rmdir(`iscsi/${IQN}`);
    const m = await monitor();
    expect(m.code).toBe(OcfExit.ERR_GENERIC);
    expect(m.reason).toMatch(/partly configured: no target is live but storage object \/backstores\/block\/lun0 is left over/);
    // stop cleans the leftovers up.
    expect((await stop()).code).toBe(OcfExit.SUCCESS);
    expect((await monitor()).code).toBe(OcfExit.NOT_RUNNING);
    expect(readdirSync(join(fx.base, 'core'))).toEqual(['alua']);
  });

  it('stop removes only its own objects: other resources and hand-made targets stay', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    // Another resource, from another config file.
    expect((await call(actions.start, ctxFor(fx.root, 'start', { iqn: OTHER, config: '/etc/target/other.json' }))).code).toBe(0);
    // A target made by hand with targetcli-like steps, sharing nothing.
    const fs = new EmulatedConfigFs(fx.base, []);
    writeFileSync(join(fx.root, 'dev/sdz'), '');
    await fs.mkdir('core/iblock_9');
    await fs.mkdir('core/iblock_9/manual');
    await fs.write('core/iblock_9/manual/control', 'udev_path=/dev/sdz');
    await fs.write('core/iblock_9/manual/enable', '1');
    await fs.mkdir('iscsi/iqn.2003-01.org.example:manual');
    await fs.mkdir('iscsi/iqn.2003-01.org.example:manual/tpgt_1');
    await fs.mkdir('iscsi/iqn.2003-01.org.example:manual/tpgt_1/lun/lun_0');
    await fs.symlink('core/iblock_9/manual', 'iscsi/iqn.2003-01.org.example:manual/tpgt_1/lun/lun_0/abc');

    const lines: LogLine[] = [];
    expect((await stop({}, lines)).code).toBe(OcfExit.SUCCESS);
    expect(existsSync(join(fx.base, `iscsi/${IQN}`))).toBe(false);
    for (let i = 0; i < 4; i++) expect(existsSync(join(fx.base, `core/iblock_${i}`))).toBe(false);
    expect(existsSync(join(fx.base, 'iscsi/iqn.2003-01.org.example:manual/tpgt_1/lun/lun_0/abc'))).toBe(true);
    expect(existsSync(join(fx.base, 'core/iblock_9/manual'))).toBe(true);
    expect((await call(actions.monitor, ctxFor(fx.root, 'monitor', { iqn: OTHER, config: '/etc/target/other.json' }, { checkLevel: 10 }))).code).toBe(0);
    expect(readdirSync(join(fx.base, `iscsi/${OTHER}/tpgt_1/np`))).toEqual(['[fd00::59]:3260']);
    // The TPG was disabled before anything was removed.
    const f = lines.find((l) => l.msg === 'target stopped')!.fields as Record<string, number>;
    expect(f.write).toBe(1);
    expect((await stop()).code).toBe(OcfExit.SUCCESS); // stop twice
    expect((await monitor()).code).toBe(OcfExit.NOT_RUNNING);
  });

  it('after stop the tree is what a real kernel shows after targetctl clear', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    expect((await stop()).code).toBe(OcfExit.SUCCESS);
    const recorded = readFileSync(new URL('../fixtures/target/configfs-after-targetctl-clear-6.1.txt', import.meta.url), 'utf8')
      .split('\n').filter((l) => l.startsWith('/sys/kernel/config/target/')).map((l) => l.slice('/sys/kernel/config/target/'.length)).sort();
    const walk = (rel: string): string[] => readdirSync(join(fx.base, rel), { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.lioha'))
      .flatMap((e) => { const r = rel ? `${rel}/${e.name}` : e.name; return e.isDirectory() ? [r, ...walk(r)] : [r]; });
    expect(walk('').sort()).toEqual(recorded);
  });

  it('a storage object shared with another target is left in place by stop', async () => {
    expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
    const fs = new EmulatedConfigFs(fx.base, []);
    await fs.mkdir('iscsi/iqn.2003-01.org.example:borrower');
    await fs.mkdir('iscsi/iqn.2003-01.org.example:borrower/tpgt_1');
    await fs.mkdir('iscsi/iqn.2003-01.org.example:borrower/tpgt_1/lun/lun_0');
    await fs.symlink('core/iblock_1/lun1', 'iscsi/iqn.2003-01.org.example:borrower/tpgt_1/lun/lun_0/x');
    expect((await stop()).code).toBe(OcfExit.SUCCESS);
    expect(existsSync(join(fx.base, 'core/iblock_1/lun1'))).toBe(true);
    expect(existsSync(join(fx.base, 'core/iblock_0'))).toBe(false);
    expect((await monitor()).code).toBe(OcfExit.NOT_RUNNING); // a shared object is not our leftover
  });

  it('rolls back what it created when a write fails mid-start, without naming the secret', async () => {
    setEmulatorFaults(fx.root, [{ op: 'write', path: 'initiator03/auth/password', error: 'EIO' }]);
    const lines: LogLine[] = [];
    const r = await start({}, lines);
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/initiator03\/auth\/password=\(secret\) failed: .*EIO.*created objects removed again/);
    expect(r.reason).not.toMatch(/password-user03/);
    expect(existsSync(join(fx.base, `iscsi/${IQN}`))).toBe(false);
    expect(readdirSync(join(fx.base, 'core'))).toEqual(['alua']);
    expect((await monitor()).code).toBe(OcfExit.NOT_RUNNING);
    setEmulatorFaults(fx.root, []);
    expect((await start()).code).toBe(OcfExit.SUCCESS);
  });

  it('refuses to start when a backing device is missing on this node', async () => {
    unlinkSync(join(fx.root, 'dev/vg1/lv-lun2'));
    const r = await start();
    expect(r).toEqual({ code: OcfExit.ERR_GENERIC, reason: '/backstores/block/lun2: device /dev/vg1/lv-lun2 does not exist on this node (volume group not active?)' });
    expect(readdirSync(join(fx.base, 'core'))).toEqual(['alua']);
  });

  describe('a hung kernel write during stop', () => {
    beforeEach(async () => {
      expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
      setEmulatorFaults(fx.root, [{ op: 'rmdir', path: 'np/10.110.88.59:3260', error: 'hang' }]);
    });

    it('on_stop_hang=fail returns an error within the write timeout', async () => {
      const t0 = Date.now();
      const r = await stop({ write_timeout: '1' });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(r.code).toBe(OcfExit.ERR_GENERIC);
      expect(r.reason).toMatch(/^stop hung \(on_stop_hang=fail\): rmdir .*np\/10\.110\.88\.59:3260 timed out$/);
    });

    it('on_stop_hang=reboot goes through sysrq s, u, b', async () => {
      mkdirSync(join(fx.root, 'proc/sys/kernel'), { recursive: true });
      const r = await stop({ write_timeout: '1', on_stop_hang: 'reboot' });
      expect(r.code).toBe(OcfExit.ERR_GENERIC);
      expect(r.reason).toMatch(/reboot through sysrq requested/);
      expect(readFileSync(join(fx.root, 'proc/sys/kernel/sysrq'), 'utf8')).toBe('1');
      expect(readFileSync(join(fx.root, 'proc/sysrq-trigger'), 'utf8')).toBe('sub');
    });

    it('on_stop_hang=reboot honours /etc/ha.d/noreboot', async () => {
      let rebooted = false;
      const a = createTargetActions({ reboot: async () => { rebooted = true; } });
      mkdirSync(join(fx.root, 'etc/ha.d'), { recursive: true });
      writeFileSync(join(fx.root, 'etc/ha.d/noreboot'), '');
      const r = await call(a.stop, ctxFor(fx.root, 'stop', { write_timeout: '1', on_stop_hang: 'reboot' }));
      expect(rebooted).toBe(false);
      expect(r.reason).toMatch(/^stop hung, not rebooting \(\/etc\/ha\.d\/noreboot exists\): /);
    });
  });

  describe('configuration problems', () => {
    it('validate-all: the named target must be in the configuration', async () => {
      expect((await call(actions.validate, ctxFor(fx.root, 'validate-all'))).code).toBe(0);
      const r = await call(actions.validate, ctxFor(fx.root, 'validate-all', { iqn: 'iqn.2016-09.com.example:nope' }));
      expect(r).toEqual({ code: OcfExit.ERR_CONFIGURED, reason: 'target iqn.2016-09.com.example:nope is not in the configuration' });
    });

    it('a missing configuration is ERR_INSTALLED, but a probe still answers 7', async () => {
      const r = await call(actions.validate, ctxFor(fx.root, 'validate-all', { config: '/etc/target/none.json' }));
      expect(r.code).toBe(OcfExit.ERR_INSTALLED);
      expect((await monitor({ config: '/etc/target/none.json' })).code).toBe(OcfExit.NOT_RUNNING);
      expect((await start()).code, "start").toBe(OcfExit.SUCCESS);
      expect(await monitor({ config: '/etc/target/none.json' })).toEqual({ code: OcfExit.ERR_GENERIC, reason: `target ${IQN} is live but cannot be checked: configuration /etc/target/none.json does not exist` });
      expect((await stop({ config: '/etc/target/none.json' })).code).toBe(OcfExit.SUCCESS); // stop needs only iqn
      expect(readdirSync(join(fx.base, 'core'))).toEqual(['alua']);
    });

    it('a configuration of 600 MB is refused with ERR_CONFIGURED and a clear reason, before it is read', async () => {
      const huge = join(fx.root, 'etc/target/huge.json');
      writeFileSync(huge, '', { mode: 0o600 });
      truncateSync(huge, 600 * 1024 * 1024); // sparse
      const t0 = Date.now();
      const r = await call(actions.validate, ctxFor(fx.root, 'validate-all', { config: '/etc/target/huge.json' }));
      expect(r).toEqual({ code: OcfExit.ERR_CONFIGURED, reason: '/etc/target/huge.json is 600.0 MiB, more than the 16 MiB a configuration may be' });
      expect(Date.now() - t0).toBeLessThan(2000);
    });

    it('refuses a saveconfig.json with passwords that others can read (5: a file mode of this node, not 6)', async () => {
      chmodSync(join(fx.root, 'etc/target/saveconfig.json'), 0o644);
      const r = await start();
      expect(r.code).toBe(OcfExit.ERR_INSTALLED);
      expect(r.reason).toMatch(/holds CHAP passwords but is readable by group or others/);
    });

    it('takes passwords from a separate 0600 secrets file and refuses a readable one', async () => {
      const cfg = JSON.parse(readFileSync(join(fx.root, 'etc/target/saveconfig.json'), 'utf8'));
      for (const a of cfg.targets[0].tpgs[0].node_acls) { delete a.chap_password; delete a.chap_mutual_password; }
      writeFileSync(join(fx.root, 'etc/target/public.json'), JSON.stringify(cfg), { mode: 0o644 });
      const secrets: Record<string, unknown> = { [IQN]: { acls: Object.fromEntries([1, 2, 3, 4].map((i) => [`iqn.2016-09.com.example:initiator0${i}`, { chap_password: `from-file-${i}`, ...(i === 1 ? { chap_mutual_password: 'mutual-from-file' } : {}) }])) } };
      writeFileSync(join(fx.root, 'etc/target/chap.json'), JSON.stringify(secrets), { mode: 0o600 });
      const p = { config: '/etc/target/public.json', secrets: '/etc/target/chap.json' };
      expect((await start(p)).code).toBe(OcfExit.SUCCESS);
      expect(read(`${T}/acls/iqn.2016-09.com.example:initiator02/auth/password`)).toBe('from-file-2\n');
      expect(read(`${T}/acls/iqn.2016-09.com.example:initiator01/auth/authenticate_target`)).toBe('1\n');
      chmodSync(join(fx.root, 'etc/target/chap.json'), 0o640);
      const r = await call(actions.validate, ctxFor(fx.root, 'validate-all', p));
      expect(r.code).toBe(OcfExit.ERR_INSTALLED);
      expect(r.reason).toMatch(/secrets file \/etc\/target\/chap.json is readable by group or others \(mode 640/);
    });

    it('refuses storage objects without a stable serial unless derive_wwn is set', async () => {
      const cfg = JSON.parse(readFileSync(join(fx.root, 'etc/target/saveconfig.json'), 'utf8'));
      delete cfg.storage_objects[2].wwn;
      writeFileSync(join(fx.root, 'etc/target/saveconfig.json'), JSON.stringify(cfg), { mode: 0o600 });
      const r = await start();
      expect(r.code).toBe(OcfExit.ERR_CONFIGURED);
      expect(r.reason).toMatch(/^\/backstores\/block\/lun2 has no "wwn"/);
      expect((await start({ derive_wwn: 'true' })).code).toBe(OcfExit.SUCCESS);
      // Derived from the name only: every node computes the same serial.
      expect(read('core/iblock_2/lun2/wwn/vpd_unit_serial')).toBe(`T10 VPD Unit Serial Number: ${deriveSerial('/backstores/block/lun2')}\n`);
      expect(deriveSerial('/backstores/block/lun2')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it('a directory of per-group files is merged; a target in two files is refused', async () => {
      mkdirSync(join(fx.root, 'etc/target/groups'));
      const cfg = JSON.parse(readFileSync(join(fx.root, 'etc/target/saveconfig.json'), 'utf8'));
      writeFileSync(join(fx.root, 'etc/target/groups/a.json'), JSON.stringify(cfg), { mode: 0o600 });
      writeFileSync(join(fx.root, 'etc/target/groups/b.json'), readFileSync(join(fx.root, 'etc/target/other.json')));
      expect((await start({ config: '/etc/target/groups', iqn: `${IQN} ${OTHER}` })).code).toBe(0);
      expect((await monitor({ config: '/etc/target/groups', iqn: `${IQN} ${OTHER}` }, 10)).code).toBe(0);
      writeFileSync(join(fx.root, 'etc/target/groups/c.json'), JSON.stringify(cfg), { mode: 0o600 });
      const r = await call(actions.validate, ctxFor(fx.root, 'validate-all', { config: '/etc/target/groups' }));
      expect(r.code).toBe(OcfExit.ERR_CONFIGURED);
      expect(r.reason).toMatch(/target iqn.2016-09.com.example:iscsitgt01 defined in both \/etc\/target\/groups\/a.json and \/etc\/target\/groups\/c.json/);
    });
  });
});
