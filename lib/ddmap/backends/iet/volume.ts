/**
 * Parser for /proc/net/iet/volume. Pure. IET prints one record per target and
 * one indented line per LUN:
 *
 *   tid:1 name:iqn.2001-04.com.example:storage.lun0
 *           lun:0 state:0 iotype:blockio iomode:wt blocks:4194304 blocksize:512 path:/dev/vg0/lv0
 *
 * path is last and may contain spaces; fields added by other patches are kept in `extra`.
 */

export interface IetVolume {
  lun: number;
  path: string;
  iotype?: string;
  iomode?: string;
  state?: string;
  blocks?: bigint;
  blocksize?: number;
  /** blocks x blocksize, when both are known. */
  sizeBytes?: bigint;
  extra: Record<string, string>;
}

export interface IetTargetVolumes {
  tid: number;
  name: string;
  luns: IetVolume[];
}

export class IetParseError extends Error {
  override name = 'IetParseError';
}

export function parseIetVolume(text: string): IetTargetVolumes[] {
  const targets: IetTargetVolumes[] = [];
  let current: IetTargetVolumes | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('tid:')) {
      const m = /^tid:(\d+)\s+name:(\S+)/.exec(line);
      if (!m) throw new IetParseError(`line ${n + 1}: malformed target line ${JSON.stringify(line)}`);
      current = { tid: Number(m[1]), name: m[2]!, luns: [] };
      targets.push(current);
      continue;
    }
    if (line.startsWith('lun:')) {
      if (!current) throw new IetParseError(`line ${n + 1}: LUN line before any target`);
      current.luns.push(parseLunLine(line, n + 1));
      continue;
    }
    throw new IetParseError(`line ${n + 1}: unexpected ${JSON.stringify(line.slice(0, 60))}`);
  }
  return targets;
}

function parseLunLine(line: string, n: number): IetVolume {
  const pathAt = line.search(/(^|\s)path:/);
  const head = pathAt < 0 ? line : line.slice(0, pathAt);
  const path = pathAt < 0 ? '' : line.slice(pathAt).replace(/^\s*path:/, '').trim();
  const fields: Record<string, string> = {};
  for (const tok of head.trim().split(/\s+/)) {
    const i = tok.indexOf(':');
    if (i <= 0) throw new IetParseError(`line ${n}: malformed field ${JSON.stringify(tok)}`);
    fields[tok.slice(0, i)] = tok.slice(i + 1);
  }
  const { lun, state, iotype, iomode, blocks, blocksize, ...extra } = fields;
  if (lun === undefined || !/^\d+$/.test(lun)) throw new IetParseError(`line ${n}: LUN number missing or malformed`);
  if (!path) throw new IetParseError(`line ${n}: LUN ${lun} has no path`);
  const v: IetVolume = { lun: Number(lun), path, extra };
  if (state !== undefined) v.state = state;
  if (iotype !== undefined) v.iotype = iotype;
  if (iomode !== undefined) v.iomode = iomode;
  if (blocks !== undefined && /^\d+$/.test(blocks)) v.blocks = BigInt(blocks);
  if (blocksize !== undefined && /^\d+$/.test(blocksize)) v.blocksize = Number(blocksize);
  if (v.blocks !== undefined && v.blocksize !== undefined) v.sizeBytes = v.blocks * BigInt(v.blocksize);
  return v;
}
