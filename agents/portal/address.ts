/** Adding and removing the address with ip(8); waiting for kernel DAD when it is used. */
import { run, ExecFailedError } from '../../lib/exec/run.js';
import { Failure } from '../../lib/failure.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { observeAddress } from './observe.js';
import { parseIpAddrShow } from '../../lib/net/ip-output.js';
import type { PortalConfig } from './config.js';
import { type OpContext, sleep } from './op-context.js';

const IP_TIMEOUT_MS = 5000;

export async function addAddress(ctx: OpContext, cfg: PortalConfig, nic: string, prefixLen: number, kernelDad: boolean): Promise<void> {
  const args = [cfg.ip.family === 4 ? '-4' : '-6', 'addr', 'add', `${cfg.ipText}/${prefixLen}`];
  if (cfg.ip.family === 4) {
    if (prefixLen < 31) args.push('brd', '+');
    args.push('dev', nic);
    if (cfg.label) args.push('label', `${nic}:${cfg.label}`);
  } else {
    args.push('dev', nic);
    if (!kernelDad) args.push('nodad');
    args.push('preferred_lft', cfg.preferredLft);
  }
  if (cfg.noPrefixRoute) args.push('noprefixroute');
  await run('ip', args, { timeoutMs: ctx.deadline.step(IP_TIMEOUT_MS) });
}

/**
 * When IPv6 DAD is left to the kernel (no ndisc6), the address is tentative
 * for dad_transmits x retrans_time (1 s by default): wait for the verdict.
 */
export async function waitKernelDad(ctx: OpContext, cfg: PortalConfig, maxMs: number): Promise<void> {
  const until = performance.now() + ctx.deadline.budget(maxMs);
  for (;;) {
    const a = observeAddress(ctx.root, cfg.ip);
    if (!a.present) throw new Failure('generic', `${cfg.ipText} disappeared during duplicate address detection`);
    if (a.dadFailed) throw new Failure('generic', `${cfg.ipText} is already in use on the network (IPv6 duplicate address detection failed)`);
    if (!a.tentative) return;
    if (performance.now() > until) throw new Failure('generic', `${cfg.ipText} is still tentative after ${maxMs} ms of duplicate address detection`);
    await sleep(50);
  }
}

/** The interfaces holding the address, asked from ip(8) (IPv4 has no per-device /proc view). */
export async function interfacesHolding(ctx: OpContext, cfg: PortalConfig): Promise<{ ifname: string; prefixLen: number; label?: string }[]> {
  const fam = cfg.ip.family === 4 ? '-4' : '-6';
  const r = await run('ip', ['-o', fam, 'addr', 'show', 'to', `${cfg.ipText}/${cfg.ip.family === 4 ? 32 : 128}`], {
    timeoutMs: ctx.deadline.step(IP_TIMEOUT_MS),
  });
  return parseIpAddrShow(r.stdout)
    .filter((s) => s.address.family === cfg.ip.family)
    .map((s) => ({ ifname: s.ifname, prefixLen: s.prefixLen, ...(s.label ? { label: s.label } : {}) }));
}

/**
 * Removes the address; no-op when absent. With the expected placement known
 * (the common case) that is one `ip addr del`; otherwise, or if it does not
 * match, every interface holding the address is asked from ip(8).
 */
export async function removeAddress(ctx: OpContext, cfg: PortalConfig, expected?: { nic: string; prefixLen: number }): Promise<void> {
  const fam = cfg.ip.family === 4 ? '-4' : '-6';
  const del = async (nic: string, prefixLen: number): Promise<boolean> => {
    try {
      await run('ip', [fam, 'addr', 'del', `${cfg.ipText}/${prefixLen}`, 'dev', nic], { timeoutMs: ctx.deadline.step(IP_TIMEOUT_MS) });
      return true;
    } catch (e) {
      // Not there with that prefix/device (or removed concurrently): look it up below.
      if (e instanceof ExecFailedError && /Cannot assign requested address|Address not found|Cannot find device/.test(e.result.stderr)) return false;
      throw e;
    }
  };
  if (expected && (await del(expected.nic, expected.prefixLen))) return;
  for (const h of await interfacesHolding(ctx, cfg)) await del(h.ifname, h.prefixLen);
}
