import { describe, expect, it } from 'vitest';
import { type TemplateEntry } from '../../lib/configfs/emulator-templates.js';
import { RECORDED_KERNELS } from '../../lib/configfs/kernel-trees.js';
import { FRESH_ACL_ATTRIB, FRESH_ACL_CMDSN_DEPTH, FRESH_TPG_ATTRIB, FRESH_TPG_PARAM } from '../../lib/configfs/defaults.js';

/** The values a fresh object has in the real-kernel recording, for the files under `prefix`. */
function recorded(entries: readonly TemplateEntry[], prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    if (e[1] === 'd' || !e[0].startsWith(prefix) || e[0].slice(prefix.length).includes('/')) continue;
    out[e[0].slice(prefix.length)] = (e[2] as string).replace(/\n$/, '');
  }
  return out;
}

// The planner skips reading these on a fresh TPG/ACL: they must be what the real kernel creates.
describe('fresh-object defaults', () => {
  /** What every recorded kernel creates with the same value. */
  const common = (kind: 'tpg' | 'acl', prefix: string) => {
    const trees = Object.values(RECORDED_KERNELS).map((t) => recorded(t[kind], prefix));
    return Object.fromEntries(Object.entries(trees[0]!).filter(([k, v]) => trees.every((t) => t[k] === v)));
  };
  it('are what every recorded kernel (6.1, 6.12) creates, for TPG attrib and param, ACL attrib and cmdsn_depth', () => {
    expect(Object.keys(RECORDED_KERNELS).sort()).toEqual(['6.1', '6.12']);
    expect(FRESH_TPG_ATTRIB).toEqual(common('tpg', 'attrib/'));
    expect(FRESH_TPG_PARAM).toEqual(common('tpg', 'param/'));
    expect(FRESH_ACL_ATTRIB).toEqual(common('acl', 'attrib/'));
    expect(common('acl', '').cmdsn_depth).toBe(FRESH_ACL_CMDSN_DEPTH);
  });
});
