/**
 * Pure parsers for `lvm <vgs|lvs|pvs> --reportformat json` output:
 * {"report":[{"vg":[{...}]}]} with every value a string.
 */
export interface VgRow { name: string; uuid?: string; systemId: string; tags: string[]; lvCount?: number; exported: boolean }
export interface LvRow { name: string; vg: string; attr: string; active: boolean; uuid?: string }
export interface PvRow { name: string; vg: string; uuid?: string }

export class LvmReportError extends Error {}

function rows(text: string, key: 'vg' | 'lv' | 'pv'): Record<string, string>[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new LvmReportError(`lvm json report: not JSON (${(e as Error).message})`);
  }
  const report = (doc as { report?: unknown }).report;
  if (!Array.isArray(report)) throw new LvmReportError('lvm json report: no "report" array');
  const out: Record<string, string>[] = [];
  for (const section of report as Record<string, unknown>[]) {
    const list = section[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new LvmReportError(`lvm json report: "${key}" is not an array`);
    out.push(...(list as Record<string, string>[]));
  }
  return out;
}

const tags = (s: string | undefined) => (s ?? '').split(',').map((t) => t.trim()).filter(Boolean);
const need = (r: Record<string, string>, k: string) => {
  const v = r[k];
  if (typeof v !== 'string') throw new LvmReportError(`lvm json report: row without "${k}"`);
  return v;
};

export function parseVgsJson(text: string): VgRow[] {
  return rows(text, 'vg').map((r) => ({
    name: need(r, 'vg_name'),
    uuid: r.vg_uuid,
    systemId: r.vg_systemid ?? '',
    tags: tags(r.vg_tags),
    lvCount: r.lv_count === undefined ? undefined : Number(r.lv_count),
    exported: r.vg_exported === 'exported',
  }));
}

export function parseLvsJson(text: string): LvRow[] {
  return rows(text, 'lv').map((r) => {
    const attr = r.lv_attr ?? '';
    return {
      name: need(r, 'lv_name'),
      vg: need(r, 'vg_name'),
      attr,
      // lv_active is "active" (or "local exclusive"...) when active; attr[4] is 'a' too.
      active: r.lv_active !== undefined ? r.lv_active !== '' : attr[4] === 'a',
      uuid: r.lv_uuid,
    };
  });
}

export function parsePvsJson(text: string): PvRow[] {
  return rows(text, 'pv').map((r) => ({ name: need(r, 'pv_name'), vg: r.vg_name ?? '', uuid: r.pv_uuid }));
}

/** `lvm systemid` prints `  system ID: node1` (empty after the colon when none is set). */
export function parseSystemId(text: string): string {
  const m = /system ID:\s*(\S*)/.exec(text);
  if (!m) throw new LvmReportError(`lvm systemid: unexpected output "${text.trim()}"`);
  return m[1] ?? '';
}
