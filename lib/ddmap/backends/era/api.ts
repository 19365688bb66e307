/**
 * The era backend's API for tools other than the ddmap agent (`lioha backup`): what an era
 * device recorded for one LV, and the mark that says which eras are covered. OCF-free.
 * Contract: docs/agents/ddmap.md, "For backup tools".
 */
import type { RunResult } from '../../../exec/run.js';
import type { Exec } from '../../../lvm/lvm.js';
import type { Root } from '../../../sys/root.js';
import type { DdmapImage } from '../../format.js';
import { EraCommands, readEraLayer } from './dm.js';
import { changedSince, EraNotActiveError, rollOver } from './changes.js';
import type { EraPoint } from './mark.js';

export { EraCommandError } from './dm.js';
export { EraMismatchError, EraNotActiveError } from './changes.js';
export { advanceEraMark, readEraMark, writeEraMark, type EraMark, type EraPoint } from './mark.js';
export { EraNameError, eraDeviceName, eraDevicePath, eraMapWords, eraMetadataLvName, eraNameSum } from './names.js';

/** Runs one command, bounded (lib/exec/run.ts run() unless a test injects a fake). */
export type EraExec = Exec;

export interface EraEnv {
  root: Root;
  /** Limit for each external command (ms); keep it below the caller's own deadline. */
  timeoutMs: number;
  exec?: EraExec;
}

async function defaultExec(): Promise<Exec> {
  const { run } = await import('../../../exec/run.js');
  return (cmd, args, o): Promise<RunResult> => run(cmd, args, { timeoutMs: o.maxMs, okCodes: o.okCodes, env: o.env });
}

async function commands(env: EraEnv): Promise<EraCommands> {
  return new EraCommands({ root: env.root, exec: env.exec ?? (await defaultExec()) });
}

/**
 * Start a new era now: writes from this moment on are in eras >= the returned point. Take it
 * BEFORE the LVM snapshot, so a write between the two is copied twice rather than missed.
 */
export async function checkpoint(vg: string, lv: string, env: EraEnv): Promise<EraPoint> {
  return rollOver(await commands(env), readEraLayer(env.root, vg, lv), env.timeoutMs);
}

/** A resume gets at least this long even when the caller's budget is spent: a held device blocks the LUN's writes. */
const RESUME_MIN_MS = 2000;
/** Commands inside one hold, each bounded by EraEnv.timeoutMs: dmsetup suspend, lvcreate, lvs, dmsetup resume. */
const HOLD_STEPS = 4;

/**
 * Hold the era device's writes while `f` runs (dmsetup suspend: writes it already let through drain to the
 * LV first; new ones wait), and resume whatever happens. For the LVM snapshot of the origin: a write dm-era
 * marked in the old era cannot then reach the LV after the snapshot. A suspend intent under
 * /run/lioha/ddmap/suspended/ lets the ddmap agent's next monitor resume a device a killed caller left held.
 * Nothing may query the device (status, message) inside `f`: dm-era answers only while running.
 */
export async function holdWrites<T>(vg: string, lv: string, env: EraEnv, f: () => Promise<T>): Promise<T> {
  const layer = readEraLayer(env.root, vg, lv);
  if (!layer.era) throw new EraNotActiveError(`era device ${layer.eraName} does not exist on this node`);
  const cmds = await commands(env);
  const { recordSuspendIntent, clearSuspendIntent, SUSPEND_INTENT_DIR } = await import('../../suspend-intent.js');
  // The hold's bound, for the agent's monitor: suspend, the snapshot's two lvm commands and the resume,
  // each limited to timeoutMs. A live holder within it is a backup at work, not a fault.
  const maxMs = HOLD_STEPS * env.timeoutMs + RESUME_MIN_MS;
  const intent = await recordSuspendIntent(env.root.path(SUSPEND_INTENT_DIR), layer.eraName, maxMs);
  try {
    await cmds.suspend(layer.eraName, env.timeoutMs);
    return await f();
  } finally {
    await cmds.resume(layer.eraName, Math.max(env.timeoutMs, RESUME_MIN_MS));
    await clearSuspendIntent(intent);
  }
}

/**
 * The 16 KiB segments written in eras >= since.era, up to now, as a ddmap image that merges with
 * the saved dumps (name_sum eraNameSum(vg, lv), map_size eraMapWords(LV size)). The live era rolls
 * over as a side effect. Throws EraNotActiveError when the era device is not up on this node and
 * EraMismatchError when `since` belongs to other metadata (do a full read then).
 */
export async function liveChangedSince(vg: string, lv: string, since: EraPoint, env: EraEnv): Promise<DdmapImage> {
  return (await changedSince(await commands(env), env.root, readEraLayer(env.root, vg, lv), since, env.timeoutMs)).image;
}
