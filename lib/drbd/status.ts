import { readFileSync } from 'node:fs';
import type { Root } from '../sys/root.js';
import type { Exec } from '../lvm/lvm.js';
import { ExecFailedError } from '../exec/run.js';
import { parseProcDrbd } from '../proc/drbd-proc.js';
import { parseDrbdsetupStatusJson } from '../proc/drbd-json.js';
import { parseShMinor, resourceFromDrbdadm } from '../proc/drbdadm.js';
import { parseDrbdsetupShow, type DrbdMinorConfig } from '../proc/drbdsetup-show.js';
import type { DiskState, DrbdProcStatus, DrbdResource, DrbdRole } from '../proc/drbd-types.js';

/**
 * The local DRBD state of individual minors, from the cheapest source that has it:
 * /proc/drbd (8.x lists every minor: a file read), else `drbdsetup status --json`
 * (DRBD 9), else `drbdadm role/dstate` for a named resource (old drbd-utils
 * without JSON).
 */
export interface MinorState {
  minor: number;
  resource?: string;
  role: DrbdRole;
  disk: DiskState;
  peerRole?: DrbdRole;
  source: 'proc' | 'drbdsetup' | 'drbdadm';
}

export class DrbdNotLoaded extends Error {}

export async function readProcDrbd(root: Root): Promise<DrbdProcStatus | undefined> {
  try {
    return parseProcDrbd(readFileSync(root.path('/proc/drbd'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const fromResource = (r: DrbdResource, source: MinorState['source']): MinorState[] =>
  r.volumes.map((v) => ({
    minor: v.minor, resource: r.name, role: r.role, disk: v.disk, source,
    peerRole: r.connections[0]?.peerRole,
  }));

export class DrbdStatus {
  private proc?: DrbdProcStatus;
  private nine?: DrbdResource[];

  constructor(private readonly root: Root, private readonly exec: Exec, private readonly maxMs = 10_000) {}

  async load(): Promise<this> {
    const proc = await readProcDrbd(this.root);
    if (!proc) throw new DrbdNotLoaded('DRBD kernel module not loaded (no /proc/drbd)');
    this.proc = proc;
    return this;
  }

  /** DRBD 8.x: /proc/drbd has every minor. DRBD 9: it lists none. */
  get is8(): boolean {
    return (this.proc?.resources.length ?? 0) > 0 || /^8\./.test(this.proc?.version ?? '');
  }

  private async drbd9(): Promise<DrbdResource[]> {
    if (!this.nine) {
      const r = await this.exec('drbdsetup', ['status', '--json'], { maxMs: this.maxMs });
      this.nine = parseDrbdsetupStatusJson(r.stdout);
    }
    return this.nine;
  }

  /** States of the given minors; a minor DRBD does not know is reported as missing. */
  async minors(minors: readonly number[]): Promise<{ states: MinorState[]; missing: number[] }> {
    const all = this.is8
      ? this.proc!.resources.flatMap((r) => fromResource(r, 'proc'))
      : (await this.drbd9()).flatMap((r) => fromResource(r, 'drbdsetup'));
    const states = minors.map((m) => all.find((s) => s.minor === m)).filter((s): s is MinorState => s !== undefined);
    return { states, missing: minors.filter((m) => !states.some((s) => s.minor === m)) };
  }

  private shown?: DrbdMinorConfig[];

  /** The kernel's DRBD configuration per minor (resource, volume, backing disk): `drbdsetup show`. */
  async config(): Promise<DrbdMinorConfig[]> {
    this.shown ??= parseDrbdsetupShow((await this.exec('drbdsetup', ['show'], { maxMs: this.maxMs })).stdout);
    return this.shown;
  }

  /** States of every volume of a named resource. */
  async resource(name: string): Promise<MinorState[]> {
    if (this.is8) {
      const minors = parseShMinor((await this.exec('drbdadm', ['sh-minor', name], { maxMs: this.maxMs })).stdout);
      const { states, missing } = await this.minors(minors);
      if (missing.length) throw new Error(`DRBD resource ${name}: minor ${missing.join(', ')} not in /proc/drbd (resource down?)`);
      return states.map((s) => ({ ...s, resource: name }));
    }
    let all: DrbdResource[];
    try {
      all = await this.drbd9();
    } catch (e) {
      if (!(e instanceof ExecFailedError)) throw e;
      // drbd-utils without `status --json`: drbdadm prints role and disk states.
      const minors = parseShMinor((await this.exec('drbdadm', ['sh-minor', name], { maxMs: this.maxMs })).stdout);
      const role = await this.exec('drbdadm', ['role', name], { maxMs: this.maxMs });
      const dstate = await this.exec('drbdadm', ['dstate', name], { maxMs: this.maxMs });
      return fromResource(resourceFromDrbdadm(name, minors, role.stdout, dstate.stdout), 'drbdadm');
    }
    const r = all.find((x) => x.name === name);
    if (!r) throw new Error(`DRBD resource ${name} is not up (not in drbdsetup status)`);
    return fromResource(r, 'drbdsetup');
  }
}

/** Minor number of a DRBD device path (/dev/drbd10 -> 10), or undefined. */
export function drbdMinorOfPath(path: string): number | undefined {
  const m = /^\/dev\/drbd(\d+)$/.exec(path);
  return m ? Number(m[1]) : undefined;
}
