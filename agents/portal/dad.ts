/**
 * Duplicate address detection before the address is added: does any other
 * host answer for it? IPv4: an ARP probe from 0.0.0.0 (RFC 5227) with arping,
 * either Habets' arping or iputils-arping. IPv6: a neighbour solicitation with
 * ndisc6; without ndisc6 the caller falls back to the kernel's own DAD.
 */
import { readFileSync, statSync } from 'node:fs';
import { run, ExecFailedError } from '../../lib/exec/run.js';
import { findTool } from '../../lib/exec/tools.js';
import { Failure } from '../../lib/failure.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { arpingReplyMacs, ndisc6ReplyMacs } from '../../lib/net/ip-output.js';
import type { PortalConfig } from './config.js';
import type { OpContext } from './op-context.js';

/** The binary's bytes as latin1 (every byte one character), or undefined when unreadable or implausibly large. */
function binaryText(path: string): string | undefined {
  try {
    if (statSync(path).size > 4 << 20) return undefined;
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

export type DadResult = { kind: 'free' } | { kind: 'duplicate'; macs: string[] } | { kind: 'unavailable'; why: string };

type Arping = 'habets' | 'iputils';

/**
 * Which arping is installed, from its binary's text when it names its author (no exec: each
 * process is a few hundred ms of a failover on a starved node), else from its answer to -V.
 */
async function arpingFlavour(ctx: OpContext): Promise<Arping | undefined> {
  const path = findTool('arping', ctx.env);
  if (path === undefined) return undefined;
  const text = binaryText(path);
  if (text?.includes('Thomas Habets')) return 'habets';
  if (text?.includes('iputils')) return 'iputils';
  try {
    // iputils prints its name for -V; Habets' arping rejects -V without an argument.
    const r = await run('arping', ['-V'], { timeoutMs: ctx.deadline.step(2000), okCodes: [0, 1, 2, 64] });
    return /iputils/i.test(r.stdout + r.stderr) ? 'iputils' : 'habets';
  } catch (e) {
    if (e instanceof ExecFailedError) return undefined; // not installed
    throw e;
  }
}

async function probeIpv4(ctx: OpContext, cfg: PortalConfig, nic: string): Promise<DadResult> {
  const flavour = await arpingFlavour(ctx);
  if (!flavour) return { kind: 'unavailable', why: 'arping is not installed' };
  const secs = Math.max(1, Math.ceil(cfg.dad.timeoutMs / 1000));
  // A built-in step: it grows with the op timeout, as on a starved TCG guest where arping waited beside nft.
  const timeoutMs = ctx.deadline.step(cfg.dad.timeoutMs + 3000);
  if (flavour === 'habets') {
    // -0: source 0.0.0.0; -C 1: stop at the first answer. Exit 0 = answered, 1 = no answer or error.
    const r = await run('arping', ['-0', '-c', '2', '-C', '1', '-w', String(cfg.dad.timeoutMs / 1000), '-i', nic, cfg.ipText], { timeoutMs, okCodes: [0, 1] });
    const macs = arpingReplyMacs(r.stdout);
    if (r.exitCode === 0 || macs.length > 0) return { kind: 'duplicate', macs };
    if (/arping:/.test(r.stderr)) throw new Failure('generic', `duplicate address probe on ${nic} failed: ${r.stderr.trim().split('\n').pop()}`);
    return { kind: 'free' };
  }
  // iputils: -D duplicate address detection mode; exit 0 = no reply, 1 = reply (or error).
  const r = await run('arping', ['-D', '-c', '2', '-w', String(secs), '-I', nic, cfg.ipText], { timeoutMs, okCodes: [0, 1] });
  const macs = arpingReplyMacs(r.stdout);
  if (macs.length > 0) return { kind: 'duplicate', macs };
  if (r.exitCode === 1) throw new Failure('generic', `duplicate address probe on ${nic} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return { kind: 'free' };
}

async function probeIpv6(ctx: OpContext, cfg: PortalConfig, nic: string): Promise<DadResult> {
  const waitMs = Math.max(100, Math.floor(cfg.dad.timeoutMs / 2));
  try {
    // -1: stop at the first answer; -r 2 tries of -w ms each. Exit 0 = answered, 2 = no answer.
    const r = await run('ndisc6', ['-1', '-n', '-r', '2', '-w', String(waitMs), cfg.ipText, nic], {
      timeoutMs: ctx.deadline.step(cfg.dad.timeoutMs + 3000),
      okCodes: [0, 2],
    });
    return r.exitCode === 0 ? { kind: 'duplicate', macs: ndisc6ReplyMacs(r.stdout) } : { kind: 'free' };
  } catch (e) {
    if (e instanceof ExecFailedError && e.result.exitCode === -1) return { kind: 'unavailable', why: 'ndisc6 is not installed' };
    throw e;
  }
}

export function probeDuplicate(ctx: OpContext, cfg: PortalConfig, nic: string): Promise<DadResult> {
  return cfg.ip.family === 4 ? probeIpv4(ctx, cfg, nic) : probeIpv6(ctx, cfg, nic);
}
