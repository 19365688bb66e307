import { buildLvmConfig, type LvmConfigOptions } from './config.js';
import { parseLvsJson, parsePvsJson, parseSystemId, parseVgsJson, type LvRow, type PvRow, type VgRow } from './report.js';
import type { RunResult } from '../exec/run.js';

/** Runs one command with a time limit; the caller supplies PATH, root and deadline handling. */
export type Exec = (cmd: string, args: string[], o: { maxMs: number; okCodes?: number[]; env?: Record<string, string> }) => Promise<RunResult>;

/**
 * LVM driven through the `lvm` binary with JSON reports. Every call carries the
 * DRBD-only device filter; with udev absent, DM_DISABLE_UDEV=1 makes libdevmapper
 * create nodes itself instead of waiting for udev events that never come.
 */
export class Lvm {
  constructor(
    private readonly exec: Exec,
    private readonly config: LvmConfigOptions,
    /** Per-command time limit (the action deadline still caps it). */
    private readonly maxMs = 30_000,
  ) {}

  /** Last line LVM printed on stderr for vg(): the "not found" detail for exit reasons. */
  lastStderr = '';

  private env(): Record<string, string> {
    return this.config.noUdev ? { DM_DISABLE_UDEV: '1' } : {};
  }

  private cfg(extra: LvmConfigOptions = {}): string {
    return buildLvmConfig({ ...this.config, ...extra });
  }

  private report(sub: string, fields: string, target: string[], extraArgs: string[] = [], okCodes = [0, 5]): Promise<RunResult> {
    return this.exec('lvm', [sub, '--config', this.cfg(), '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', fields, ...extraArgs, ...target],
      { maxMs: this.maxMs, okCodes, env: this.env() });
  }

  /** The VG as LVM sees it through the filter, including foreign (other system ID) VGs; undefined if not found. */
  async vg(vg: string): Promise<VgRow | undefined> {
    const r = await this.report('vgs', 'vg_name,vg_uuid,vg_systemid,vg_tags,lv_count,vg_exported', [vg], ['--foreign']);
    this.lastStderr = r.stderr.trim().split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
    // Not found: exit 5, and some LVM versions print no report at all.
    if (r.exitCode !== 0 && r.stdout.trim() === '') return undefined;
    return parseVgsJson(r.stdout).find((x) => x.name === vg);
  }

  async lvs(vg: string): Promise<LvRow[]> {
    const r = await this.report('lvs', 'lv_name,vg_name,lv_attr,lv_active,lv_uuid', [vg], [], [0]);
    return parseLvsJson(r.stdout).filter((x) => x.vg === vg);
  }

  async pvs(vg: string): Promise<PvRow[]> {
    // Exit 5 with unreadable devices (a DRBD Secondary): no PVs seen, which the caller explains.
    const r = await this.report('pvs', 'pv_name,vg_name,pv_uuid', [], ['--foreign', '-S', `vg_name=${vg}`], [0, 5]);
    if (r.exitCode !== 0 && r.stdout.trim() === '') return [];
    return parsePvsJson(r.stdout).filter((x) => x.vg === vg);
  }

  async systemId(): Promise<string> {
    const r = await this.exec('lvm', ['systemid', '--config', this.cfg()], { maxMs: this.maxMs, env: this.env() });
    return parseSystemId(r.stdout);
  }

  /** Put our system ID on a VG; extra_system_ids lets us modify it while another host owns it. */
  async takeSystemId(vg: string, ours: string, current: string): Promise<void> {
    const cfg = this.cfg(current ? { extraSystemIds: [current] } : {});
    await this.exec('lvm', ['vgchange', '-y', '--config', cfg, '--systemid', ours, vg], { maxMs: this.maxMs, env: this.env() });
  }

  async addTag(vg: string, tag: string): Promise<void> {
    await this.exec('lvm', ['vgchange', '--config', this.cfg(), '--addtag', tag, vg], { maxMs: this.maxMs, env: this.env() });
  }

  async delTag(vg: string, tag: string): Promise<void> {
    await this.exec('lvm', ['vgchange', '--config', this.cfg(), '--deltag', tag, vg], { maxMs: this.maxMs, env: this.env() });
  }

  /** vgchange -ay / -an; volumeList restricts activation to tagged VGs (tagging mode). */
  async activate(vg: string, on: boolean, volumeList?: string[]): Promise<RunResult> {
    return this.exec('lvm', ['vgchange', on ? '-ay' : '-an', '--config', this.cfg(volumeList ? { volumeList } : {}), vg],
      { maxMs: this.maxMs, env: this.env() });
  }
}
