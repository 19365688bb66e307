import { describe, expect, it } from 'vitest';
import { TEMPLATES, type TemplateEntry } from '../../lib/configfs/emulator-templates.js';
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
  it('match the recorded 6.1 tree for TPG attrib and param, ACL attrib and cmdsn_depth', () => {
    expect(FRESH_TPG_ATTRIB).toEqual(recorded(TEMPLATES.tpg, 'attrib/'));
    expect(FRESH_TPG_PARAM).toEqual(recorded(TEMPLATES.tpg, 'param/'));
    expect(FRESH_ACL_ATTRIB).toEqual(recorded(TEMPLATES.acl, 'attrib/'));
    expect(recorded(TEMPLATES.acl, '').cmdsn_depth).toBe(FRESH_ACL_CMDSN_DEPTH);
  });
});
