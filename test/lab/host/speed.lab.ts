import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labTests, median, readResult, resultsDir } from './results.js';

// Item 2: the target agent's start/stop vs targetctl restore/clear on the same config, same VM run.
// Printed as medians and ratios next to each runtime's bare start-up (node -e 0, python3 -c 0), so the
// work part (whole process minus bare start-up) and native figures can be derived.
const has40 = labTests().includes('40-target-agent');
const m = has40 ? readResult('40-target-agent').metrics : new Map<string, number[]>();
const haveSpeed = ['agent_start_ms', 'agent_stop_ms', 'targetctl_restore_ms', 'targetctl_clear_ms'].every((k) => (m.get(k)?.length ?? 0) > 0);

describe.skipIf(!haveSpeed)('target start/stop speed vs targetctl (same VM run)', () => {
  it('prints medians and ratios', () => {
    const med = (k: string) => median(m.get(k) ?? [NaN]);
    const nodeBare = med('node_bare_start_ms');
    const pyBare = med('python3_bare_start_ms');
    const rows: [string, number, number, number, number][] = [
      ['start vs restore', med('agent_start_ms'), med('targetctl_restore_ms'), nodeBare, pyBare],
      ['stop vs clear', med('agent_stop_ms'), med('targetctl_clear_ms'), nodeBare, pyBare],
    ];
    // The 32 LUN x 32 ACL configuration (test/lab/guest/big-config.py), when the run has it.
    if ((m.get('agent_start_32x32_ms')?.length ?? 0) > 0) {
      rows.push(
        ['32x32 start/restore', med('agent_start_32x32_ms'), med('targetctl_restore_32x32_ms'), nodeBare, pyBare],
        ['32x32 stop/clear', med('agent_stop_32x32_ms'), med('targetctl_clear_32x32_ms'), nodeBare, pyBare],
      );
    }
    const lines = ['                     agent ms  targetctl ms  agent/targetctl | work (minus bare start-up): agent  targetctl  agent/targetctl'];
    for (const [name, a, t, nb, pb] of rows) {
      lines.push(`${name.padEnd(18)} ${String(a).padStart(9)} ${String(t).padStart(12)}  ${(a / t).toFixed(2).padStart(14)}x | ${String(a - nb).padStart(33)} ${String(t - pb).padStart(10)} ${((a - nb) / (t - pb)).toFixed(2).padStart(15)}x`);
    }
    lines.push(`bare start-up: node ${nodeBare} ms, python3 ${pyBare} ms; agent meta-data ${med('agent_metadata_ms')} ms; n=${m.get('agent_start_ms')!.length}` +
      ((m.get('agent_monitor_32x32_ms')?.length ?? 0) > 0 ? `; 32x32 monitor ${med('agent_monitor_32x32_ms')} ms, n=${m.get('agent_start_32x32_ms')!.length}` : ''));
    fs.writeFileSync(join(resultsDir(), 'speed.txt'), lines.join('\n') + '\n');
    console.log(lines.join('\n'));
    expect(Number.isFinite(med('agent_start_ms'))).toBe(true);
  });
});
