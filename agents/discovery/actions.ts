/**
 * ocf:lioha:discovery — starts, stops and watches lioha-portald.
 *  - start returns only once the daemon listens on every discovery address and answers a login there;
 *  - stop is SIGTERM, then SIGKILL when the budget runs out, and succeeds when nothing runs;
 *  - monitor: 7 only when cleanly stopped (no pid file); a dead daemon with its pid file left is a failure.
 */
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { cp } from '../../lib/exec/run.js'; // node:child_process, loaded by start only (not by monitors)
import type { PortaldConfig } from '../../lib/portald/config.js';
import { loadPortaldConfig, logfilePath, pidfilePath, type DiscoveryParams } from './config.js';

type Ctx = OcfContext<DiscoveryParams>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A login to the daemon's own portal, on normal hardware; a slower node's op timeout scales it (Deadline.step). */
export const PROBE_LOGIN_MS = 3000;

function pidfile(ctx: Ctx): string {
  return ctx.root.path(pidfilePath(ctx.params, ctx.instance));
}
function logfile(ctx: Ctx): string {
  return ctx.root.path(logfilePath(ctx.params, ctx.instance));
}

function loadConfig(ctx: Ctx): Promise<PortaldConfig> {
  return loadPortaldConfig(ctx.params, (abs) => ctx.root.path(abs));
}

function readPid(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and really our daemon (a recycled pid must not be signalled). */
function isPortald(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('portald');
  } catch {
    return false;
  }
}

function probeTarget(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

async function answering(ctx: Ctx, cfg: PortaldConfig): Promise<string | undefined> {
  const { probeLogin } = await import('../../lib/iscsi/probe.js');
  for (const p of cfg.portals) {
    try {
      await probeLogin(probeTarget(p.address), p.port, ctx.deadline.step(PROBE_LOGIN_MS));
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

async function monitor(ctx: Ctx): Promise<OcfExit> {
  const pf = pidfile(ctx);
  const pid = readPid(pf);
  if (pid === undefined) {
    try {
      statSync(pf);
    } catch {
      return OcfExit.NOT_RUNNING;
    }
    throw new Failure('generic', `pid file ${pf} is unreadable or corrupt`);
  }
  if (!isPortald(pid)) throw new Failure('generic', `lioha-portald (pid ${pid}) is gone; it crashed or was killed`);
  const cfg = await loadConfig(ctx);
  const why = await answering(ctx, cfg);
  if (why) throw new Failure('generic', `lioha-portald runs but does not answer: ${why}`);
  return OcfExit.SUCCESS;
}

async function validate(ctx: Ctx): Promise<OcfExit> {
  await loadConfig(ctx);
  try {
    accessSync(ctx.params.daemon, constants.X_OK);
  } catch {
    throw new Failure('installed', `daemon ${ctx.params.daemon} is not installed or not executable`);
  }
  return OcfExit.SUCCESS;
}

async function start(ctx: Ctx): Promise<OcfExit> {
  await validate(ctx);
  const pf = pidfile(ctx);
  const running = readPid(pf);
  if (running !== undefined && isPortald(running)) return monitor(ctx);
  rmSync(pf, { force: true }); // stale: the daemon died
  mkdirSync(dirname(pf), { recursive: true });
  const lf = logfile(ctx);
  mkdirSync(dirname(lf), { recursive: true });
  const fd = openSync(lf, 'a', 0o640);
  let exited: string | undefined;
  try {
    const child = cp().spawn(ctx.params.daemon, ['--config', ctx.root.path(ctx.params.config), '--pidfile', pf, '--log-level', ctx.params.log_level], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    child.on('exit', (code, sig) => (exited = sig ? `killed by ${sig}` : `exit code ${code}`));
    child.on('error', (e) => (exited = e.message));
    child.unref();
  } finally {
    closeSync(fd);
  }
  while (readPid(pf) === undefined) {
    if (exited) throw new Failure('generic', `lioha-portald did not start (${exited}); see ${lf}`);
    if (ctx.deadline.expired()) throw new Failure('generic', `lioha-portald did not listen in time; see ${lf}`);
    await sleep(25);
  }
  const cfg = await loadConfig(ctx);
  const why = await answering(ctx, cfg);
  if (why) {
    await stop(ctx); // roll back: a half-started portal is worse than none
    throw new Failure('generic', `lioha-portald started but does not answer: ${why}`);
  }
  ctx.log.info('lioha-portald started', { pid: readPid(pf), portals: cfg.portals.map((p) => `${p.address}:${p.port}`).join(' ') });
  return OcfExit.SUCCESS;
}

async function stop(ctx: Ctx): Promise<OcfExit> {
  const pf = pidfile(ctx);
  const pid = readPid(pf);
  if (pid !== undefined && isPortald(pid)) {
    process.kill(pid, 'SIGTERM');
    const killAt = ctx.deadline.budget() - 1000;
    const t0 = Date.now();
    while (isPortald(pid)) {
      if (Date.now() - t0 > killAt) {
        ctx.log.warn('lioha-portald ignored SIGTERM; sending SIGKILL', { pid });
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        while (isPortald(pid) && !ctx.deadline.expired()) await sleep(20);
        if (isPortald(pid)) throw new Failure('generic', `lioha-portald (pid ${pid}) survives SIGKILL`);
        break;
      }
      await sleep(20);
    }
  }
  rmSync(pf, { force: true });
  return OcfExit.SUCCESS;
}

export const actions: AgentActions<DiscoveryParams> = { start, stop, monitor, validate };
