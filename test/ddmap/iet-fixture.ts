/**
 * A fixture /proc/net/iet tree for the ddmap agent: /proc/net/iet/volume plus
 * one regular file per /proc/net/iet/ddmap/<target>.<lun> entry holding the
 * map image. The backend writes commands with O_APPEND, so the bytes after
 * the image are the command log (mapsuspend, mapresume, ...), in order.
 */
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { markWrite } from '../../lib/ddmap/bits.js';
import { decodeHeader, decodeImage, emptyImage, encodeImage, imageBytes, mapSizeForVolume, type DdmapImage } from '../../lib/ddmap/format.js';
import { MAP_COMMANDS } from '../../lib/ddmap/backends/iet/proc-entry.js';

export interface FixtureLun {
  lun: number;
  vg: string;
  lv: string;
  sizeBytes: number | bigint;
  /** Writes (byte offset, length) already recorded in the live map. */
  writes?: Array<[number | bigint, number]>;
  /** Device path as IET shows it; default /dev/<vg>/<lv>. */
  path?: string;
  /** Leave out the ddmap entry (an IET without the patch, or a vanished map). */
  noEntry?: boolean;
}

export interface FixtureTarget {
  tid: number;
  name: string;
  luns: FixtureLun[];
}

export const entryId = (t: FixtureTarget, l: FixtureLun): string => `${t.name}.${l.lun}`;
export const entryPath = (root: string, id: string): string => join(root, 'proc/net/iet/ddmap', id);

export function volumeText(targets: readonly FixtureTarget[]): string {
  let s = '';
  for (const t of targets) {
    s += `tid:${t.tid} name:${t.name}\n`;
    for (const l of t.luns) {
      const blocks = BigInt(l.sizeBytes) / 512n;
      s += `\tlun:${l.lun} state:0 iotype:blockio iomode:wt blocks:${blocks} blocksize:512 path:${l.path ?? `/dev/${l.vg}/${l.lv}`}\n`;
    }
  }
  return s;
}

/** Build <root>/proc/net/iet/{volume,ddmap/*}. */
export async function buildIetProc(root: string, targets: readonly FixtureTarget[], opts: { ddmapDir?: boolean } = {}): Promise<void> {
  const dir = join(root, 'proc/net/iet');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'volume'), volumeText(targets));
  if (opts.ddmapDir === false) return;
  await mkdir(join(dir, 'ddmap'), { recursive: true });
  for (const t of targets) {
    for (const l of t.luns) {
      if (l.noEntry) continue;
      await writeFile(entryPath(root, entryId(t, l)), encodeImage(liveImage(t, l)));
    }
  }
}

/** The image the kernel would hold for this LUN. */
export function liveImage(t: FixtureTarget, l: FixtureLun): DdmapImage {
  const img = emptyImage(entryId(t, l), mapSizeForVolume(l.sizeBytes));
  for (const [pos, len] of l.writes ?? []) markWrite(img.words, pos, len);
  return img;
}

/** The entry's current image and the commands written to it so far. */
export async function readEntry(root: string, id: string): Promise<{ image: DdmapImage; commands: string[] }> {
  const buf = await readFile(entryPath(root, id));
  const end = imageBytes(decodeHeader(buf));
  return { image: decodeImage(buf.subarray(0, end)), commands: parseCommands(buf.subarray(end).toString('latin1')) };
}

/** Split the concatenated `echo -n` commands. Anything unrecognised is returned as is, so tests see it. */
export function parseCommands(tail: string): string[] {
  const out: string[] = [];
  let rest = tail;
  while (rest.length) {
    const c = MAP_COMMANDS.find((m) => rest.startsWith(m));
    if (!c) {
      out.push(rest);
      break;
    }
    out.push(c);
    rest = rest.slice(c.length);
  }
  return out;
}

/** Cut the entry short so reading the whole map fails (an injected read failure). */
export async function tearEntry(root: string, id: string, keepBytes: number): Promise<void> {
  await truncate(entryPath(root, id), keepBytes);
}

/** A standard two-target fixture on VG vg_dsk_0 (plus a LUN of another VG the agent must ignore). */
export const SAMPLE_TARGETS: FixtureTarget[] = [
  {
    tid: 1,
    name: 'iqn.1990-01.edu.amherst:iet.iscsi-target0.pg-vlan10.iscsi.vg-dsk-0.lv-junk',
    luns: [{ lun: 0, vg: 'vg_dsk_0', lv: 'lv_junk', sizeBytes: 12 * 2 ** 20, writes: [[0, 16384], [16384, 16384], [798720, 4096], [802816, 20480]] }],
  },
  {
    tid: 2,
    name: 'iqn.1990-01.edu.amherst:iet.iscsi-target0.pg-vlan10.iscsi.vg-dsk-0.lv-db',
    luns: [{ lun: 0, vg: 'vg_dsk_0', lv: 'lv-db', sizeBytes: 64 * 2 ** 20, path: '/dev/mapper/vg_dsk_0-lv--db', writes: [[63 * 2 ** 20, 2 ** 20]] }],
  },
  {
    tid: 3,
    name: 'iqn.1990-01.edu.amherst:iet.iscsi-target0.pg-vlan10.iscsi.vg-other.lv-x',
    luns: [{ lun: 0, vg: 'vg_other', lv: 'lv_x', sizeBytes: 12 * 2 ** 20 }],
  },
];

/** The VG metadata mount point the agent expects: <root><stateDir>/<vg>. */
export async function makeVgDir(root: string, stateDir = '/mnt/iscsi-target', vg = 'vg_dsk_0'): Promise<string> {
  const p = join(root, stateDir, vg);
  await mkdir(p, { recursive: true });
  return p;
}
