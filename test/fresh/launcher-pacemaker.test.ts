/**
 * The premise of the launcher's answers without Node.js (scripts/launcher.ts), checked against the installed
 * Pacemaker's scheduler: a probe that returns 5 (not installed) counts as "stopped here" and the resource starts
 * elsewhere without a stop on that node; a probe that returns 1 makes Pacemaker recover it (stop) on that node.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const have = spawnSync('crm_simulate', ['--version']).status === 0 && spawnSync('cibadmin', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'lioha-probe-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cib(): string {
  const empty = spawnSync('cibadmin', ['--empty'], { encoding: 'utf8' }).stdout;
  return empty
    .replace('<cib ', '<cib have-quorum="1" dc-uuid="1" ')
    .replace('<nodes/>', '<nodes><node id="1" uname="a"/><node id="2" uname="b"/></nodes>')
    .replace('<crm_config/>', '<crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>')
    .replace('<resources/>', '<resources><primitive id="p" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="p-mon" name="monitor" interval="10s"/></operations></primitive></resources>')
    .replace('<constraints/>', '<constraints><rsc_location id="pref" rsc="p" node="a" score="100"/></constraints>');
}

/** The transition summary when the probe on node a (preferred) returns rc and the one on b returns 7. */
function afterProbe(rc: number): string {
  const file = join(dir, `cib-${rc}.xml`);
  writeFileSync(file, cib());
  const r = spawnSync('crm_simulate', ['-x', file, '-S', '-u', 'a', '-u', 'b', '-i', `p_monitor_0@a=${rc}`, '-i', 'p_monitor_0@b=7'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return /Transition Summary:\n([\s\S]*?)\n(?:Executing|$)/.exec(r.stdout)?.[1] ?? r.stdout;
}

describe.skipIf(!have)(`Pacemaker and an agent without Node.js${have ? '' : ' (skipped: no crm_simulate)'}`, () => {
  it('a probe returning 5 is "stopped here": the resource starts on the other node, nothing is stopped', () => {
    const s = afterProbe(5);
    expect(s).toMatch(/Start\s+p\s+\(\s*b\s*\)/);
    expect(s).not.toMatch(/Stop|Recover/);
  });
  it('a probe returning 1 is "maybe active": Pacemaker recovers it on that node (stop first)', () => {
    expect(afterProbe(1)).toMatch(/Recover\s+p\s+\(\s*a\s*\)/);
  });
});
