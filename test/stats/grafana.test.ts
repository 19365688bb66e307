import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboard } from '../../lib/stats/grafana.js';
import { METRIC_NAMES } from '../../lib/stats/prometheus.js';

interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: unknown; targets?: { refId: string; expr: string }[] }
const shipped = JSON.parse(readFileSync(join(process.cwd(), 'packaging/grafana/lioha.json'), 'utf8')) as { panels: Panel[]; uid: string; schemaVersion: number; templating: { list: { name: string }[] } };
const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;

/** Grafana's own macros, replaced by what Grafana would send. */
const concrete = (expr: string) => expr.replace(/\$__rate_interval|\$__range/g, '5m').replace(/\$instance/g, '.*');

describe('Grafana dashboard (packaging/grafana/lioha.json)', () => {
  it('is the generated one (regenerate: npx tsx scripts/grafana-dashboard.ts)', () => {
    expect(shipped).toEqual(dashboard());
  });

  it('has the dashboard model Grafana loads: uid, schemaVersion, unique panel ids, a 24-column grid without overlaps', () => {
    expect(shipped.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(shipped.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(shipped.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
    const ids = shipped.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of shipped.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
      if (p.type !== 'row') {
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        expect(new Set(p.targets!.map((t) => t.refId)).size).toBe(p.targets!.length);
      }
    }
  });

  it('covers what the issue asks for, and queries only metrics lioha stats exports', () => {
    const exported = new Set(METRIC_NAMES);
    const exprs = shipped.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    const used = new Set(exprs.flatMap((e) => e.match(/\blioha_[a-z_]+/g) ?? []));
    for (const m of used) expect(exported.has(m), m).toBe(true);
    for (const m of ['lioha_lun_read_bytes_total', 'lioha_lun_commands_total', 'lioha_initiator_lun_written_bytes_total', 'lioha_initiator_lun_commands_total',
      'lioha_drbd_out_of_sync_bytes', 'lioha_drbd_resync_done_ratio', 'lioha_group_node', 'lioha_iscsi_login_failures_total']) expect(used.has(m), m).toBe(true);
  });

  it.skipIf(!hasPromtool)('every panel query is valid PromQL (promtool check rules)', () => {
    const exprs = shipped.panels.flatMap((p) => p.targets ?? []).map((t) => concrete(t.expr));
    const rules = `groups:\n  - name: lioha-dashboard\n    rules:\n${exprs.map((e, i) => `      - record: lioha:dashboard_query_${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`;
    const dir = mkdtempSync(join(tmpdir(), 'lioha-grafana-'));
    try {
      writeFileSync(join(dir, 'rules.yml'), rules);
      const r = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
