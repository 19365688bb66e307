/**
 * The file exactly as `targetctl save` writes it on Debian 12 (rtslib-fb 2.1.74 on a 6.1
 * kernel, recorded in the VM lab) must be accepted: it carries target-level parameters
 * (iscsi/<iqn>/param/cmd_completion_affinity), which an earlier parser refused.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dumpSaveConfig, parseSaveConfig } from '../../lib/configfs/saveconfig.js';
import { planReconcile } from '../../lib/configfs/plan.js';

const text = readFileSync(new URL('../lab/fixtures/lab-4lun.json', import.meta.url), 'utf8');

describe('saveconfig.json from targetctl save (rtslib 2.1.74)', () => {
  it('parses, keeps the target parameters and dumps them back', () => {
    const cfg = parseSaveConfig(text, 'lab-4lun.json');
    const [target] = [...cfg.targets.values()];
    expect(target!.parameters).toEqual({ cmd_completion_affinity: '-1' });
    const again = parseSaveConfig(dumpSaveConfig(cfg.storageObjects.values(), cfg.targets.values()));
    expect([...again.targets.values()][0]!.parameters).toEqual({ cmd_completion_affinity: '-1' });
  });

  it('plans the target parameter right after the target directory', () => {
    const cfg = parseSaveConfig(text, 'lab-4lun.json');
    const iqn = [...cfg.targets.keys()][0]!;
    const ops = planReconcile(
      { storageObjects: cfg.storageObjects, targets: new Map([[iqn, cfg.targets.get(iqn)!]]) },
      { storageObjects: new Map(), targets: new Map(), hbas: [], users: new Map() },
    );
    const mk = ops.findIndex((o) => o.op === 'mkdir' && o.path === `iscsi/${iqn}`);
    const param = ops.findIndex((o) => o.path === `iscsi/${iqn}/param/cmd_completion_affinity`);
    expect(mk).toBeGreaterThanOrEqual(0);
    expect(param).toBe(mk + 1);
  });
});
