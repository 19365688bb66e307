/**
 * Wall time of the built vg agent's monitor, out of process as Pacemaker runs it,
 * against the command-double fixture: inactive (probe), active depth 0, active
 * depth 10 (dd of one block), plus start/stop for scale and `node -e ''` as the
 * floor. Prints medians and ratios. Run after `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAgentPath } from '../test/helpers/agent.js';
import { doublesBin, prepareVgFixture } from '../test/doubles/fixture.js';

const N = Number(process.env.N ?? 15);
const root = mkdtempSync(join(tmpdir(), 'vg-bench-'));
prepareVgFixture(root);
const agent = builtAgentPath('vg');
const baseEnv = {
  PATH: process.env.PATH, LIOHA_ROOT: root, LIOHA_PATH: doublesBin, OCF_ROOT: '/usr/lib/ocf',
  OCF_RESOURCE_INSTANCE: 'p_lvm', OCF_RESKEY_vgname: 'vg1', OCF_RESKEY_metadata_lv: 'lv_iscsi_target',
};

function time(cmd: string, args: string[], env: Record<string, string | undefined>, expectCode: number): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== expectCode) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}, expected ${expectCode}: ${r.stderr}`);
  return ms;
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const measure = (f: () => number) => median(Array.from({ length: N }, f));

const floor = measure(() => time(process.execPath, ['-e', ''], {}, 0));
const probe = measure(() => time(agent, ['monitor'], { ...baseEnv, OCF_RESKEY_CRM_meta_interval: '0' }, 7));
time(agent, ['start'], baseEnv, 0);
const depth0 = measure(() => time(agent, ['monitor'], { ...baseEnv, OCF_RESKEY_CRM_meta_interval: '30000' }, 0));
const depth10 = measure(() => time(agent, ['monitor'], { ...baseEnv, OCF_RESKEY_CRM_meta_interval: '30000', OCF_CHECK_LEVEL: '10' }, 0));
const stops: number[] = [];
const starts: number[] = [];
for (let i = 0; i < Math.min(N, 5); i++) {
  stops.push(time(agent, ['stop'], baseEnv, 0));
  starts.push(time(agent, ['start'], baseEnv, 0));
}
time(agent, ['stop'], baseEnv, 0);
rmSync(root, { recursive: true, force: true });

const row = (name: string, ms: number) => console.log(`${name.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / floor).toFixed(2).padStart(6)}x node -e ''`);
console.log(`vg agent wall time, median of ${N} runs (start/stop: ${starts.length}; lvm/mount are command doubles)`);
row("node -e '' (floor)", floor);
row('monitor probe, inactive -> 7', probe);
row('monitor depth 0, active -> 0', depth0);
row('monitor depth 10 (dd 1 block) -> 0', depth10);
row('start (doubles: 7 commands)', median(starts));
row('stop (doubles: 2 commands)', median(stops));
