/**
 * Every name that becomes a configfs path is validated, and the configfs backends refuse
 * any path that resolves outside their root (issue 14 item 2).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createTargetActions } from '../../agents/target/actions.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { NodeConfigFs } from '../../lib/configfs/node-backend.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
import { allProblems, ConfigError, parseSaveConfig } from '../../lib/configfs/saveconfig.js';
import { ctxFor, makeRoot, CONFIG, IQN } from './setup.js';

const EVIL = 'iqn.2016-09.com.example:x/../../../../../../escaped';
const actions = createTargetActions();

async function call(f: (ctx: never) => Promise<OcfExit>, ctx: unknown): Promise<{ code: number; reason?: string }> {
  try {
    return { code: await f(ctx as never) };
  } catch (e) {
    if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason };
    throw e;
  }
}

/** A root whose configfs is a plain directory (the real-kernel backend), nested so an escape is visible. */
function plainRoot() {
  const parent = mkdtempSync(join(tmpdir(), 'lioha-escape-'));
  const root = join(parent, 'root');
  mkdirSync(join(root, 'sys/kernel/config/target/iscsi'), { recursive: true });
  mkdirSync(join(root, 'etc/target'), { recursive: true });
  const cfg = { storage_objects: [], targets: [{ wwn: EVIL, fabric: 'iscsi', tpgs: [{ tag: 1, enable: true, attributes: {}, parameters: {}, luns: [], portals: [], node_acls: [] }] }] };
  writeFileSync(join(root, CONFIG), JSON.stringify(cfg));
  chmodSync(join(root, CONFIG), 0o600);
  return { parent, root, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...walk(join(dir, e.name))] : [join(dir, e.name)]));
}

describe('target names that would leave configfs', () => {
  let fx: ReturnType<typeof plainRoot>;
  beforeEach(() => { fx = plainRoot(); });
  afterEach(() => fx.cleanup());

  it('validate-all refuses the iqn parameter with rc 6, naming it', async () => {
    const r = await call(actions.validate, ctxFor(fx.root, 'validate-all', { iqn: EVIL }));
    expect(r.code).toBe(OcfExit.ERR_CONFIGURED);
    expect(r.reason).toMatch(/^parameter iqn: .* is not an iSCSI name/);
    expect(r.reason!.length).toBeLessThanOrEqual(128);
  });

  it('start creates nothing, inside or outside the root', async () => {
    const before = walk(fx.parent);
    const r = await call(actions.start, ctxFor(fx.root, 'start', { iqn: EVIL }));
    expect(r.code).toBe(OcfExit.ERR_CONFIGURED);
    expect(walk(fx.parent)).toEqual(before);
    expect(existsSync(join(fx.parent, 'escaped'))).toBe(false);
    expect(existsSync(join(fx.root, 'sys/kernel/escaped'))).toBe(false);
  });

  it('monitor says 6, stop succeeds without touching anything', async () => {
    expect((await call(actions.monitor, ctxFor(fx.root, 'monitor', { iqn: EVIL }))).code).toBe(OcfExit.ERR_CONFIGURED);
    const before = walk(fx.parent);
    expect((await call(actions.stop, ctxFor(fx.root, 'stop', { iqn: EVIL }))).code).toBe(OcfExit.SUCCESS);
    expect(walk(fx.parent)).toEqual(before);
  });
});

describe('saveconfig names that become paths', () => {
  const text = readFileSync(new URL('../fixtures/target/saveconfig.json', import.meta.url), 'utf8');
  const problems = (edit: (d: any) => void): string[] => {
    const d = JSON.parse(text);
    edit(d);
    // Every object's problems, as if every object were owned (the parser keeps them with the object).
    try {
      return allProblems(parseSaveConfig(JSON.stringify(d), 'cfg.json')).map((p) => p.text);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
  };
  it('target wwn with / is refused', () => {
    expect(problems((d) => { d.targets[0].wwn = EVIL; }).join()).toMatch(/targets\[0\]\.wwn.*not an iSCSI name/);
  });
  it('ACL node_wwn with / is refused', () => {
    expect(problems((d) => { d.targets[0].tpgs[0].node_acls[0].node_wwn = 'iqn.2016-09.com.example:a/../../b'; }).join()).toMatch(/node_wwn.*not an iSCSI name/);
  });
  it('storage object named .. is refused, in the object and in a LUN reference', () => {
    const p = problems((d) => { d.storage_objects[0].name = '..'; d.targets[0].tpgs[0].luns[0].storage_object = '/backstores/block/..'; }).join();
    expect(p).toMatch(/storage_objects\[0\]\.name/);
    expect(p).toMatch(/storage_object.*is not \/backstores/);
  });
  it('attribute and parameter names with / are refused', () => {
    expect(problems((d) => { d.storage_objects[0].attributes['../../enable'] = '1'; }).join()).toMatch(/not an attribute name/);
    expect(problems((d) => { d.targets[0].tpgs[0].parameters['x/../y'] = '1'; }).join()).toMatch(/not an attribute name/);
  });
});

describe('configfs backends stay under their root', () => {
  let fx: ReturnType<typeof makeRoot>;
  beforeEach(() => { fx = makeRoot(); });
  afterEach(() => fx.cleanup());

  it('the real-kernel backend refuses paths that resolve outside', async () => {
    const cfs = new NodeConfigFs(fx.base);
    for (const rel of ['../escaped', `iscsi/${EVIL}`, '/etc/passwd']) {
      await expect(cfs.mkdir(rel)).rejects.toMatchObject({ code: 'EACCES' });
    }
    await expect(cfs.write('../x', '1')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(cfs.symlink('../../..', 'iscsi/l')).rejects.toMatchObject({ code: 'EACCES' });
    expect(existsSync(join(dirname(fx.base), 'escaped'))).toBe(false);
  });

  it('the emulator refuses them too', async () => {
    const cfs = new EmulatedConfigFs(fx.base);
    await expect(cfs.mkdir('../escaped')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(cfs.write('../../x', '1')).rejects.toMatchObject({ code: 'EACCES' });
    expect(existsSync(join(dirname(fx.base), 'escaped'))).toBe(false);
  });

  it('a valid target still starts', async () => {
    expect((await call(actions.start, ctxFor(fx.root, 'start', { iqn: IQN }))).code).toBe(OcfExit.SUCCESS);
  });
});
