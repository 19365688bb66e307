/** The compiled agent, out of process, on the emulator (needs `npm run build`). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { agentDir, runBuiltAgent } from '../helpers/agent.js';
import { setEmulatorFaults } from '../../lib/configfs/emulator-fixture.js';
import { makeRoot, IQN, CONFIG, OTHER } from './setup.js';

const built = existsSync(join(agentDir, 'target'));
let fx: ReturnType<typeof makeRoot>;
beforeEach(() => { fx = makeRoot(); });
afterEach(() => fx.cleanup());
const params = { iqn: IQN, config: CONFIG };

describe.skipIf(!built)('built target agent', () => {
  it('start, monitor 0 / depth 10, stop, monitor 7, across processes sharing the emulated kernel', () => {
    expect(runBuiltAgent('target', 'monitor', { params, root: fx.root }).code).toBe(7);
    const s = runBuiltAgent('target', 'start', { params, root: fx.root });
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).not.toMatch(/password-user|tgt-secret/);
    expect(runBuiltAgent('target', 'monitor', { params, root: fx.root }).code).toBe(0);
    expect(runBuiltAgent('target', 'monitor', { params, root: fx.root, env: { OCF_CHECK_LEVEL: '10' } }).code).toBe(0);
    expect(runBuiltAgent('target', 'stop', { params, root: fx.root }).code).toBe(0);
    expect(runBuiltAgent('target', 'monitor', { params, root: fx.root }).code).toBe(7);
  });

  it('a hung configfs write does not hang the agent: stop answers within the write timeout', () => {
    expect(runBuiltAgent('target', 'start', { params, root: fx.root }).code).toBe(0);
    setEmulatorFaults(fx.root, [{ op: 'write', path: 'tpgt_1/enable', error: 'hang' }]);
    const t0 = Date.now();
    const r = runBuiltAgent('target', 'stop', { params: { ...params, write_timeout: '1' }, root: fx.root, timeoutMs: 20_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code).toBe(1);
    expect(r.reasons).toHaveLength(1);
    // Verdict first, within Pacemaker's 128 characters; the configfs detail (ETIMEDOUT, paths) is in the log.
    expect(r.reasons[0]).toMatch(/^stop hung \(on_stop_hang=fail\): write iscsi\/.*enable="0" timed out$/);
    expect(r.reasons[0]!.length).toBeLessThanOrEqual(128);
  });

  it('lioha target save (the built CLI) dumps what the agent built', async () => {
    expect(runBuiltAgent('target', 'start', { params, root: fx.root }).code).toBe(0);
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [join(agentDir, '../../bin/lioha'), 'target', 'save', '--root', fx.root, '--iqn', IQN], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.targets.map((t: { wwn: string }) => t.wwn)).toEqual([IQN]);
    expect(doc.storage_objects.map((so: { dev: string }) => so.dev)).toEqual([0, 1, 2, 3].map((i) => `/dev/vg1/lv-lun${i}`));
  });

  it('two resources started at once on one node get distinct HBAs and do not disturb each other', async () => {
    const { spawn } = await import('node:child_process');
    const run = (p: Record<string, string>) => new Promise<number>((resolve) => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LIOHA_ROOT: fx.root };
      for (const [k, v] of Object.entries(p)) env[`OCF_RESKEY_${k}`] = v;
      spawn(join(agentDir, 'target'), ['start'], { env, stdio: 'ignore' }).on('exit', (c) => resolve(c ?? -1));
    });
    const codes = await Promise.all([run(params), run({ iqn: OTHER, config: '/etc/target/other.json' })]);
    expect(codes).toEqual([0, 0]);
    expect(readdirSync(join(fx.base, 'core')).filter((h) => h !== 'alua')).toHaveLength(5);
    expect(runBuiltAgent('target', 'monitor', { params, root: fx.root, env: { OCF_CHECK_LEVEL: '10' } }).code).toBe(0);
    expect(runBuiltAgent('target', 'monitor', { params: { iqn: OTHER, config: '/etc/target/other.json' }, root: fx.root, env: { OCF_CHECK_LEVEL: '10' } }).code).toBe(0);
  });
});
