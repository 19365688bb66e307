/**
 * A fixture root for the era backend: the state of test/doubles/era/era-double.mjs (LVM volumes,
 * dm-era devices and their metadata) plus helpers that act as the kernel would between agent
 * calls: writes through an era device, LIO holding it open, a command failing or hanging.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ExecFailedError, ExecTimeoutError } from '../../lib/exec/errors.js';
import type { Exec } from '../../lib/lvm/lvm.js';
import { runEraDouble } from '../doubles/era/era-double.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const eraDoubleDir = join(here, '../doubles/era');
export const eraBin = join(eraDoubleDir, 'bin');
const STATE_REL = 'var/lib/lioha-era-double/state.json';

export interface EraDoubleState {
  vgs: Record<string, { uuid: string; lvs: Record<string, { uuid: string; sectors: number; active: boolean; zeroed?: boolean; dm: number }> }>;
  era: Record<string, { dm: number; uuid: string; sectors: number; metaDev: string; originDev: string; meta: string; open: number; suspended: boolean }>;
  metadata: Record<string, { formatted: boolean; era: number; current: number[] | null; archived: Record<string, number[]>; array: Record<string, number>; snap: unknown; usedBlocks?: number; totalBlocks?: number }>;
  nextDm: number;
  nextUuid: number;
  created: string[];
  log: string[];
  fail: Record<string, string>;
  hang: Record<string, number>;
}

const statePath = (root: string): string => join(root, STATE_REL);
export const readEraDouble = (root: string): EraDoubleState => JSON.parse(readFileSync(statePath(root), 'utf8')) as EraDoubleState;

function render(root: string): void {
  const r = runEraDouble(root, '__render', []);
  if (r.exitCode !== 0) throw new Error(`era double render failed: ${r.stderr}`);
}

/**
 * The doubles as the agent's command runner, in-process (a spawned node per command costs ~0.1-0.5 s).
 * Same model and same argument checks as bin/; a hang longer than the call's limit is a timeout.
 */
export function inProcessEraExec(root: string): Exec {
  return async (cmd, args, o) => {
    const command = [cmd, ...args].join(' ');
    const r = runEraDouble(root, cmd, args, { DM_DISABLE_UDEV: o.env?.DM_DISABLE_UDEV });
    if (r.hang !== undefined) {
      r.save();
      await sleep(Math.min(r.hang, o.maxMs));
      throw new ExecTimeoutError(command, o.maxMs);
    }
    const res = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, durationMs: 0 };
    if (!(o.okCodes ?? [0]).includes(r.exitCode)) throw new ExecFailedError(command, res);
    return res;
  };
}

export function updateEraDouble(root: string, f: (s: EraDoubleState) => void): EraDoubleState {
  const s = readEraDouble(root);
  f(s);
  writeFileSync(statePath(root), JSON.stringify(s, null, 2));
  render(root);
  return s;
}

/** VG `vg` with active LVs of the given sizes (bytes), plus the VG metadata directory under the state dir. */
export function prepareEraFixture(root: string, vg: string, lvs: Record<string, number>, stateDir = '/mnt/iscsi-target'): string {
  const s: EraDoubleState = {
    vgs: { [vg]: { uuid: 'V'.repeat(32), lvs: {} } },
    era: {}, metadata: {}, nextDm: 0, nextUuid: 1, created: [], log: [], fail: {}, hang: {},
  };
  for (const [name, bytes] of Object.entries(lvs)) {
    s.vgs[vg]!.lvs[name] = { uuid: `data${String(s.nextUuid++).padStart(28, '0')}`, sectors: bytes / 512, active: true, dm: s.nextDm++ };
  }
  mkdirSync(dirname(statePath(root)), { recursive: true });
  writeFileSync(statePath(root), JSON.stringify(s, null, 2));
  render(root);
  const vgDir = join(root, stateDir, vg);
  mkdirSync(vgDir, { recursive: true });
  return join(vgDir, 'ddmap');
}

/** A write of `len` bytes at `offset` through era device `name`: marks its 16 KiB blocks in the current era. */
export function eraWrite(root: string, name: string, offset: number, len: number): number[] {
  const blocks: number[] = [];
  updateEraDouble(root, (s) => {
    const e = s.era[name];
    if (!e) throw new Error(`no era device ${name} to write through`);
    const m = s.metadata[e.meta]!;
    for (let b = Math.floor(offset / 16384); b <= Math.floor((offset + len - 1) / 16384); b++) {
      blocks.push(b);
      if (!m.current!.includes(b)) m.current!.push(b);
    }
  });
  return blocks;
}

/** LIO's backstore opening the era device (configfs core/iblock_0/<obj> with udev_path and enable). */
export function lioHolds(root: string, name: string, obj = 'disk0'): void {
  updateEraDouble(root, (s) => { s.era[name]!.open = 1; });
  const dir = join(root, 'sys/kernel/config/target/core/iblock_0', obj);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'udev_path'), `/dev/mapper/${name}\n`);
  writeFileSync(join(dir, 'enable'), '1\n');
}

export function lioReleases(root: string, name: string, obj = 'disk0'): void {
  updateEraDouble(root, (s) => { s.era[name]!.open = 0; });
  writeFileSync(join(root, 'sys/kernel/config/target/core/iblock_0', obj, 'enable'), '0\n');
}

/** Set bits of a ddmap image's words, as block numbers. */
export function setBits(words: Uint32Array): number[] {
  const out: number[] = [];
  for (let w = 0; w < words.length; w++) for (let b = 0; b < 32; b++) if ((words[w]! >>> b) & 1) out.push(w * 32 + b);
  return out;
}
