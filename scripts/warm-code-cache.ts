/**
 * Training runs for the agents' V8 code caches: each built agent runs its
 * usual actions (start, monitors at depth 0 and 10, probe, stop) against the
 * test fixtures with LIOHA_CODE_CACHE=refresh, so each kind of action's cache
 * (start, stop, the rest: see the launcher in scripts/build.ts) holds the compiled
 * code of the path Pacemaker runs (target monitor: ~12% less CPU than the module
 * set-up alone). A failed training run only costs that gain: the agent then makes
 * the cache on its first run of that kind. Called by scripts/build.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { doublesBin, prepareVgFixture } from '../test/doubles/fixture.js';
import { buildIetProc, makeVgDir, SAMPLE_TARGETS } from '../test/ddmap/iet-fixture.js';
import { freePort } from '../test/portald/harness.js';
import { logIn, makeNode, setLunMiB } from '../test/stats/fixture.js';
import { CONFIG, IQN, makeRoot } from '../test/target/setup.js';

type Step = [action: string, env: Record<string, string>, ok: number[]];
const RECURRING = { OCF_RESKEY_CRM_meta_interval: '10000' };
const DEPTH10 = { ...RECURRING, OCF_CHECK_LEVEL: '10' };
const PROBE = { OCF_RESKEY_CRM_meta_interval: '0' };
const usual: Step[] = [
  ['monitor', PROBE, [7]],
  ['start', {}, [0]],
  ['monitor', RECURRING, [0]],
  ['monitor', DEPTH10, [0]],
  ['stop', {}, [0]],
  ['monitor', PROBE, [7]],
];

function train(agentDir: string, name: string, env: Record<string, string>, steps: Step[]): string | undefined {
  for (const [action, extra, ok] of steps) {
    const r = spawnSync(join(agentDir, name), [action], {
      env: { PATH: process.env.PATH ?? '', OCF_ROOT: '/usr/lib/ocf', ...env, ...extra, LIOHA_CODE_CACHE: 'refresh' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (!ok.includes(r.status ?? -1)) return `${name} ${action}: exit ${r.status}: ${(r.stderr ?? '').trim().slice(0, 300)}`;
  }
  return undefined;
}

/** Returns one warning per agent whose training failed. discovery trains against the built lioha-portald at `portald`. */
export async function warmCodeCaches(agentDir: string, names: readonly string[], portald: string): Promise<string[]> {
  const warnings: string[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'lioha-warm-'));
  try {
    for (const name of names) {
      const root = join(tmp, name);
      let w: string | undefined;
      if (name === 'dummy') {
        w = train(agentDir, name, { LIOHA_ROOT: root, OCF_RESOURCE_INSTANCE: 'warm', OCF_RESKEY_fake: 'x' }, usual);
      } else if (name === 'target') {
        const fx = makeRoot(tmp);
        w = train(agentDir, name, { LIOHA_ROOT: fx.root, OCF_RESOURCE_INSTANCE: 'warm', OCF_RESKEY_iqn: IQN, OCF_RESKEY_config: CONFIG }, usual);
      } else if (name === 'vg') {
        const r = mkdtempSync(`${root}-`);
        prepareVgFixture(r);
        const env = { LIOHA_ROOT: r, LIOHA_PATH: doublesBin, OCF_RESOURCE_INSTANCE: 'warm', OCF_RESKEY_vgname: 'vg1', OCF_RESKEY_metadata_lv: 'lv_iscsi_target' };
        w = train(agentDir, name, env, usual);
      } else if (name === 'ddmap') {
        const r = mkdtempSync(`${root}-`);
        await buildIetProc(r, SAMPLE_TARGETS);
        await makeVgDir(r);
        w = train(agentDir, name, { LIOHA_ROOT: r, OCF_RESOURCE_INSTANCE: 'warm', OCF_RESKEY_vgname: 'vg_dsk_0' }, usual);
      } else if (name === 'discovery') {
        // The daemon on a loopback port: the monitor's path (config check, login probe) is what a node runs every 10 s.
        const r = mkdtempSync(`${root}-`);
        writeFileSync(join(r, 'portald.json'), JSON.stringify({ portals: [{ address: '127.0.0.1', port: await freePort(), backends: [`127.0.0.1:${await freePort()}`] }] }));
        const env = {
          OCF_RESOURCE_INSTANCE: 'warm', OCF_RESKEY_config: join(r, 'portald.json'), OCF_RESKEY_daemon: portald,
          OCF_RESKEY_pidfile: join(r, 'portald.pid'), OCF_RESKEY_logfile: join(r, 'portald.log'),
        };
        w = train(agentDir, name, env, usual);
        if (w) train(agentDir, name, env, [['stop', {}, [0]]]); // never leave a daemon behind
      } else {
        // portal needs a network namespace (root): a probe of an address nobody holds still compiles its monitor path.
        w = train(agentDir, name, { OCF_RESOURCE_INSTANCE: 'warm', OCF_RESKEY_ip: '192.0.2.254', OCF_RESKEY_cidr_netmask: '24', OCF_RESKEY_nic: 'lo' }, [['monitor', PROBE, [7]]]);
      }
      if (w) warnings.push(w);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return warnings;
}

/**
 * Training runs for the `lioha` CLI's chunk code caches (scripts/build.ts, chunkLoaderSource): a
 * scrape of an emulated 4 x 4 target with sessions (the stats chunk) and a `lioha status` from a
 * crm_mon XML file (the status chunk), through the launcher as installed, so that the caches are
 * made under the V8 flags those commands run with. Returns chunk name -> cache; a failed run only
 * costs its chunk's cache (a warning).
 */
export async function warmCliCaches(cli: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const dir = mkdtempSync(join(tmpdir(), 'lioha-warm-cli-'));
  const node = await makeNode({ luns: 4, acls: 4 });
  try {
    for (let i = 0; i < 4; i++) setLunMiB(node, i, i, 2 * i, 10 * i);
    logIn(node, 0);
    logIn(node, 2);
    const runs: [chunk: string, args: string[], ok: number[]][] = [
      ['stats', ['stats'], [0]],
      ['status', ['status', '--node', 'node1', '--crm-mon-xml', fileURLToPath(new URL('../test/fixtures/status/crm_mon-healthy.xml', import.meta.url))], [0, 1, 2]],
    ];
    for (const [chunk, args, ok] of runs) {
      const r = spawnSync(cli, args, { env: { PATH: process.env.PATH ?? '', LIOHA_ROOT: node.root, LIOHA_CHUNK_CACHE_DIR: dir }, encoding: 'utf8', timeout: 60_000 });
      const file = join(dir, `${chunk}.v8cache`);
      if (!ok.includes(r.status ?? -1) || !existsSync(file)) {
        process.stderr.write(`warning: lioha ${chunk} code cache training: exit ${r.status}: ${(r.stderr ?? '').trim().slice(0, 300)}\n`);
        continue;
      }
      out.set(chunk, readFileSync(file));
    }
  } finally {
    node.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
