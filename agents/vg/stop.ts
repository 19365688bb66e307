import type { ParamsOf } from '../../lib/definition.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { Failure } from '../../lib/failure.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Lvm } from '../../lib/lvm/lvm.js';
import { lvAliases } from '../../lib/lvm/names.js';
import { mountsUnder } from '../../lib/proc/mounts.js';
import { vgDmDevices, listDmDevices } from '../../lib/sys/dm.js';
import { describeOpeners, deviceOpeners, processOpeners, type Opener } from '../../lib/sys/openers.js';
import { ExecFailedError } from '../../lib/exec/run.js';
import type { definition } from './definition.js';
import { vgConfig, type VgConfig } from './config.js';
import { execFor, step, udevAbsent } from './exec.js';
import { failureOf } from '../../lib/failure.js';
import { readVgState } from './state.js';
import { interruptBackups } from './backups.js';

type Ctx = OcfContext<ParamsOf<typeof definition>>;
const fail = (reason: string) => new Failure('generic', reason);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Scanning /proc/<pid>/{fd,maps} can block on a process stuck in the kernel
 * (maps takes its mm lock): give the scan a time limit and report what it found by then.
 */
async function scanProcesses(ctx: Ctx, match: { paths?: readonly string[]; under?: string }): Promise<Opener[]> {
  const found: Opener[] = [];
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ctx.deadline.step(5000)); });
  try {
    const r = await Promise.race([processOpeners(ctx.root, match, found), limit]);
    if (r === 'timeout') found.push({ kind: 'process', what: '(process scan timed out)' });
    return found;
  } finally {
    clearTimeout(timer);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Until the signalled processes are gone, at most ms (the next unmount attempt tells whether it helped). */
async function exited(pids: readonly number[], ms: number): Promise<void> {
  let over = false;
  const timer = setTimeout(() => { over = true; }, ms);
  try {
    while (!over && pids.some(alive)) await sleep(20);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Interrupt backups reading the VG, unmount, check nothing holds an LV, deactivate,
 * verify no dm device of the VG is left. Succeeds at once (no lvm call) when the VG
 * is already inactive.
 */
export async function stop(ctx: Ctx): Promise<OcfExit> {
  const c = vgConfig(ctx.params);
  const active = (await readVgState(ctx.root, c)).devs.length > 0;
  const lowerFence = active ? await interruptBackups(ctx, c) : undefined;
  try {
    await unmountMetadata(ctx, c);
    const s = await readVgState(ctx.root, c);
    if (s.devs.length === 0) return OcfExit.SUCCESS;
    const lvm = new Lvm(execFor(ctx), { extraAccept: c.extraDevices, noUdev: udevAbsent(ctx) });
    await deactivate(ctx, c, lvm);
    if (c.mode === 'tagging') await step(`removing owner tag ${c.tag} from ${c.vg}`, () => lvm.delTag(c.vg, c.tag));
    return OcfExit.SUCCESS;
  } finally {
    await lowerFence?.().catch(() => undefined);
  }
}

/** Unmount the metadata filesystem if it is mounted; name (or, with force_unmount, kill) what keeps it busy. */
export async function unmountMetadata(ctx: Ctx, c: VgConfig): Promise<void> {
  if (!c.metadataLv) return;
  const s = await readVgState(ctx.root, c);
  if (!s.mount || !s.mountIsOurs) return;
  const exec = execFor(ctx);
  const umount = () => exec('umount', [ctx.root.path(c.mountPoint)], { maxMs: 20_000 });
  for (let attempt = 0; ; attempt++) {
    try {
      await umount();
      break;
    } catch (e) {
      if (!(e instanceof ExecFailedError)) throw fail(`unmounting ${c.mountPoint}: ${(e as Error).message}`);
      const nested = mountsUnder(s.mounts, c.mountPoint).filter((m) => m.mountPoint !== s.mount!.mountPoint);
      const procs = await scanProcesses(ctx, { under: c.mountPoint });
      const busy = [...nested.map((m) => `${m.mountPoint} mounted below it`), ...procs.map((p) => p.what)];
      // PIDs under a fixture root are not this host's processes: never signal them unless a test opts in.
      const mayKill = ctx.root.isHost || ctx.env.LIOHA_TEST_ALLOW_KILL === '1';
      if (c.forceUnmount && mayKill && procs.some((p) => p.pid) && attempt < 2) {
        const signal = attempt === 0 ? 'SIGTERM' : 'SIGKILL';
        ctx.log.warn('killing processes that keep the metadata filesystem busy', { mountPoint: c.mountPoint, signal, pids: procs.map((p) => p.pid) });
        for (const p of procs) if (p.pid) try { process.kill(p.pid, signal); } catch { /* gone */ }
        await exited(procs.flatMap((p) => (p.pid ? [p.pid] : [])), ctx.deadline.step(1000));
        continue;
      }
      throw fail(`cannot unmount ${c.mountPoint}: ${busy.length ? `busy: ${busy.join('; ')}` : e.message}`);
    }
  }
  const after = await readVgState(ctx.root, c);
  if (after.mount && after.mountIsOurs) throw fail(`umount ${c.mountPoint} returned success but it is still mounted`);
}

/** Deactivate every LV of the VG, refusing (and naming the holder) while any is in use. */
export async function deactivate(ctx: Ctx, c: VgConfig, lvm: Lvm): Promise<void> {
  const devs = await vgDmDevices(ctx.root, c.vg);
  const names = new Map((await listDmDevices(ctx.root)).map((d) => [d.kernel, d.name]));
  const held: string[] = [];
  for (const d of devs.filter((x) => !x.layer && x.lv)) {
    const o = await deviceOpeners(ctx.root, d.kernel, lvAliases(c.vg, d.lv!, d.kernel), (k) => `${k} (${names.get(k) ?? '?'})`);
    if (o.length) held.push(`${c.vg}/${d.lv} held by ${describeOpeners(o)}`);
  }
  if (held.length) throw fail(`cannot deactivate ${c.vg}: ${held.join('; ')}`);
  try {
    await lvm.activate(c.vg, false, c.mode === 'tagging' ? [`@${c.tag}`] : undefined);
  } catch (e) {
    // LVM says "in use" without naming who: look for processes with an LV open.
    const open: string[] = [];
    for (const d of devs.filter((x) => !x.layer && x.lv)) {
      const procs = await scanProcesses(ctx, { paths: lvAliases(c.vg, d.lv!, d.kernel) });
      if (procs.length) open.push(`${c.vg}/${d.lv} open by ${describeOpeners(procs)}`);
    }
    if (open.length) throw fail(`cannot deactivate ${c.vg}: ${open.join('; ')}`);
    throw failureOf(e, `deactivating ${c.vg}`);
  }
  const left = await vgDmDevices(ctx.root, c.vg);
  if (left.length) {
    throw fail(`device-mapper devices of ${c.vg} remain after deactivation: ${left.map((d) => `${d.kernel} (${d.name})`).join(', ')}`);
  }
}
