/**
 * Telling the segment the address moved here: gratuitous ARP (request and
 * reply pairs, send_arp) for IPv4, unsolicited neighbour advertisements with
 * the override flag (send_ua) for IPv6; the resource-agents helpers IPaddr2
 * uses. With arp_bg (IPaddr2's arp_bg) the whole series goes to a detached helper,
 * bounded by timeout(1), that stop kills: start does not wait for it. send_arp spaces
 * the request and the reply of each pair by half the interval, so even one pair sent
 * in the foreground would keep start waiting that long; the helper's first pair
 * leaves while start creates the network portal. Without arp_bg start sends them all.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cp, run, searchPath } from '../../lib/exec/run.js';
import type { PortalConfig } from './config.js';
import { type OpContext, haBin, runtimePath } from './op-context.js';

function command(ctx: OpContext, cfg: PortalConfig, nic: string, prefixLen: number, count: number): [string, string[]] {
  const bin = haBin(ctx.env);
  if (cfg.ip.family === 4) {
    // "auto": send_arp reads the interface's own MAC; the last two arguments are unused on Linux.
    return [`${bin}/send_arp`, ['-i', String(cfg.announce.intervalMs), '-r', String(count), nic, cfg.ipText, 'auto', 'not_used', 'not_used']];
  }
  return [`${bin}/send_ua`, ['-i', String(cfg.announce.intervalMs), '-c', String(count), cfg.ipText, String(prefixLen), nic]];
}

/** Upper bound of a series: count announcements, interval apart, plus slack. */
const seriesMs = (cfg: PortalConfig, count: number) => count * cfg.announce.intervalMs + 2000;

export async function announce(ctx: OpContext, cfg: PortalConfig, nic: string, prefixLen: number): Promise<void> {
  const total = cfg.announce.count;
  if (total === 0) return;
  if (cfg.announce.background) {
    startBackground(ctx, cfg, nic, prefixLen, total);
    return;
  }
  const [cmd, args] = command(ctx, cfg, nic, prefixLen, total);
  await run(cmd, args, { timeoutMs: ctx.deadline.budget(seriesMs(cfg, total)) });
}

function startBackground(ctx: OpContext, cfg: PortalConfig, nic: string, prefixLen: number, count: number): void {
  stopBackground(ctx);
  const [cmd, args] = command(ctx, cfg, nic, prefixLen, count);
  const bound = Math.ceil(seriesMs(cfg, count) / 1000);
  // Not through run(): this must outlive the agent. timeout(1) bounds it instead.
  const child = cp().spawn('timeout', ['-k', '1', String(bound), cmd, ...args], {
    detached: true,
    stdio: 'ignore',
    env: { ...ctx.env, PATH: searchPath(ctx.env) },
  });
  child.on('error', (e) => ctx.log.warn('background announcer failed to start', { error: e.message }));
  if (child.pid) {
    const file = runtimePath(ctx, 'announce.pid');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${child.pid}\n`);
  }
  child.unref();
}

/** Kills a still-running background announcer of this instance (its whole process group). */
export function stopBackground(ctx: OpContext): void {
  const file = runtimePath(ctx, 'announce.pid');
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 1) {
    // Only if the pid still is our announcer, not a recycled pid.
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      /* gone */
    }
    if (/send_(arp|ua)/.test(cmdline)) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* exited meanwhile */
      }
    }
  }
  rmSync(file, { force: true });
}
