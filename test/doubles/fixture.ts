import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the command doubles live; put first on PATH with LIOHA_PATH. */
export const doublesBin = join(dirname(fileURLToPath(import.meta.url)), 'bin');
const doubleScript = join(dirname(fileURLToPath(import.meta.url)), 'double.mjs');

export interface DrbdResState {
  name: string;
  minors: number[];
  role: 'Primary' | 'Secondary';
  peerRole: 'Primary' | 'Secondary' | 'Unknown';
  disks: string[];
  peerDisks: string[];
  cstate: string;
}

export interface DoubleState {
  localSystemId: string;
  drbd: { loaded: boolean; version: string; resources: DrbdResState[] };
  vgs: {
    name: string; uuid: string; systemId: string; tags: string[]; pvs: string[];
    lvs: {
      name: string; uuid: string; active: boolean; dm?: number; skip?: boolean; /** vgchange -ay leaves it inactive (e.g. a missing PV segment) */ refuse?: boolean;
      /** Size of its /dev/dm-N file (sparse; kept while inactive); default an 8 KiB block of 0x5a. */
      sizeBytes?: number;
      /** A snapshot: its origin LV, tags and whether it is writable. */
      origin?: string; tags?: string[]; writable?: boolean;
    }[];
  }[];
  fsOnDisk: string;
  baseMounts: string[];
  mounts: { device: string; mountPoint: string; fstype: string; options: string }[];
  busyMounts: string[];
  /** Mount point -> real PIDs that keep it busy while they live (force_unmount tests). */
  busyPids?: Record<string, number[]>;
  openLvs: string[];
  fail?: { activate?: string; mount?: string };
  log: string[];
}

export interface VgFixtureOptions {
  drbdVersion?: string;
  role?: 'Primary' | 'Secondary';
  peerRole?: 'Primary' | 'Secondary' | 'Unknown';
  disk?: string;
  minor?: number;
  localSystemId?: string;
  vgSystemId?: string;
  tags?: string[];
  lvs?: string[];
  udev?: boolean;
  /** Sizes of LVs by name (their data then survives deactivation). */
  lvBytes?: Record<string, number>;
}

const u = (n: number) => n.toString(16).padStart(32, '0');

/** A node of the seed's setup: r0 on /dev/drbd0 carrying vg1 with a metadata LV and LUN LVs, all inactive. */
export function prepareVgFixture(root: string, o: VgFixtureOptions = {}): DoubleState {
  const minor = o.minor ?? 0;
  const s: DoubleState = {
    localSystemId: o.localSystemId ?? 'node1',
    drbd: {
      loaded: true,
      version: o.drbdVersion ?? '8.4.11',
      resources: [{
        name: 'r0', minors: [minor], role: o.role ?? 'Primary', peerRole: o.peerRole ?? 'Secondary',
        disks: [o.disk ?? 'UpToDate'], peerDisks: ['UpToDate'], cstate: 'Connected',
      }],
    },
    vgs: [{
      name: 'vg1', uuid: u(1), systemId: o.vgSystemId ?? 'node2', tags: o.tags ?? [], pvs: [`/dev/drbd${minor}`],
      lvs: (o.lvs ?? ['lv_iscsi_target', 'lv-lun0', 'lv-lun1']).map((name, i) => ({ name, uuid: u(100 + i), active: false, ...(o.lvBytes?.[name] ? { sizeBytes: o.lvBytes[name] } : {}) })),
    }],
    fsOnDisk: 'ext4',
    baseMounts: ['sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0', '/dev/sda2 / ext4 rw,relatime 0 0'],
    mounts: [],
    busyMounts: [],
    openLvs: [],
    log: [],
  };
  mkdirSync(join(root, 'var/lib/lioha-doubles'), { recursive: true });
  if (o.udev) { mkdirSync(join(root, 'run/udev'), { recursive: true }); writeFileSync(join(root, 'run/udev/control'), ''); }
  writeDoubleState(root, s);
  return s;
}

export function readDoubleState(root: string): DoubleState {
  return JSON.parse(readFileSync(join(root, 'var/lib/lioha-doubles/state.json'), 'utf8')) as DoubleState;
}

/** Write the state and re-render the kernel views from it. */
export function writeDoubleState(root: string, s: DoubleState): void {
  writeFileSync(join(root, 'var/lib/lioha-doubles/state.json'), JSON.stringify(s, null, 2));
  execFileSync(process.execPath, [doubleScript, 'render'], { env: { ...process.env, LIOHA_ROOT: root } });
}

export function updateDoubleState(root: string, f: (s: DoubleState) => void): DoubleState {
  const s = readDoubleState(root);
  f(s);
  writeDoubleState(root, s);
  return s;
}
