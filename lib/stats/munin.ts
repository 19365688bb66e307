/**
 * munin plugin output, compatible with the seed's lio_read / lio_write plugins
 * (S2 その13): same field names, labels and DERIVE/cdef, so existing RRD files
 * keep their history. Values are LIO's MiB counters; the cdef turns them into bytes.
 */
import type { LioSnapshot } from './lio.js';

export type MuninGraph = 'read' | 'write';

/** The seed's field-name rule: lower case, '-' to '_', everything else but [a-z0-9_] dropped. */
export function muninField(s: string): string {
  return s.toLowerCase().replace(/-/g, '_').replace(/[^a-z0-9_]/g, '');
}
/** The seed labels with the text after the first ':' of an IQN. */
const short = (iqn: string) => iqn.split(':')[1] ?? iqn;
const MIB = 1048576;

interface Row { field: string; label: string; mib?: number }

function rows(s: LioSnapshot, g: MuninGraph): Row[] {
  const out: Row[] = [];
  const word = g === 'read' ? 'Read' : 'Write';
  const val = (x: { readBytes?: number; writeBytes?: number }) => {
    const v = g === 'read' ? x.readBytes : x.writeBytes;
    return v === undefined ? undefined : v / MIB;
  };
  for (const t of s.targets) {
    for (const tpg of t.tpgs) {
      // The seed read tpgt_1 only; other TPGs get their tag in the name so they cannot collide.
      const tf = muninField(t.wwn) + (tpg.tag === 1 ? '' : `tpgt_${tpg.tag}`);
      const tl = short(t.wwn) + (tpg.tag === 1 ? '' : ` tpgt_${tpg.tag}`);
      for (const l of tpg.luns) out.push({ field: `${tf}lun_${l.index}`, label: `${tl} (lun_${l.index}) ${word}`, mib: val(l) });
      for (const a of tpg.acls) {
        for (const m of a.mappedLuns) {
          out.push({ field: `${tf}${muninField(a.initiator)}lun_${m.index}`, label: `${tl} - ${short(a.initiator)} (lun_${m.index}) ${word}`, mib: val(m) });
        }
      }
    }
  }
  return out;
}

export function muninConfig(s: LioSnapshot, g: MuninGraph): string {
  const word = g === 'read' ? 'Read' : 'Write';
  let out = `graph_title LIO (${word})\ngraph_category LIO\ngraph_info Graph LIO (${word})\n` +
    `graph_vlabel Graph LIO (Bytes/sec)\ngraph_scale yes\ngraph_args --base 1024 --lower-limit 0\ngraph_period second\ngraph_printf %7.2lf\n`;
  for (const r of rows(s, g)) {
    out += `${r.field}.label ${r.label}\n${r.field}.cdef ${r.field},${MIB},*\n${r.field}.min 0\n${r.field}.type DERIVE\n`;
  }
  return out;
}

export function muninFetch(s: LioSnapshot, g: MuninGraph): string {
  return rows(s, g).map((r) => `${r.field}.value ${r.mib === undefined ? 'U' : r.mib}\n`).join('');
}

export function muninAutoconf(s: LioSnapshot): string {
  return s.targets.some((t) => t.tpgs.length) ? 'yes\n' : 'no (no iscsi target)\n';
}

/** The graph a plugin symlink name selects (lio_read, lio_write), undefined for other names. */
export function muninGraphOf(argv0: string): MuninGraph | undefined {
  const m = /(?:^|\/)lio_(read|write)$/.exec(argv0);
  return m ? (m[1] as MuninGraph) : undefined;
}
