/** Installing and removing this instance's nftables block (see nft-block.ts), with a marker monitor can read without nft. */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { run } from '../../lib/exec/run.js';
import type { PortalConfig } from './config.js';
import { blockScript, unblockScript } from '../../lib/net/nft-block.js';
import { type OpContext, runtimePath } from './op-context.js';
import { findTool } from '../../lib/exec/tools.js';

const NFT_TIMEOUT_MS = 5000;

export function blockMarked(ctx: OpContext): boolean {
  return existsSync(runtimePath(ctx, 'block'));
}

export async function installBlock(ctx: OpContext, cfg: PortalConfig): Promise<void> {
  const marker = runtimePath(ctx, 'block');
  mkdirSync(dirname(marker), { recursive: true });
  // Marker first: if nft succeeds and we die, monitor still sees the block.
  writeFileSync(marker, `${cfg.npName}\n`);
  await run('nft', ['-f', '-'], { input: blockScript(cfg, ctx.instance), timeoutMs: ctx.deadline.step(NFT_TIMEOUT_MS) });
  ctx.log.info('blocking new connections', { portal: cfg.npName });
}

export async function removeBlock(ctx: OpContext): Promise<void> {
  // Without nft no table can exist; only a marker of a failed attempt to install one.
  if (findTool('nft', ctx.env) !== undefined) {
    await run('nft', ['-f', '-'], { input: unblockScript(ctx.instance), timeoutMs: ctx.deadline.step(NFT_TIMEOUT_MS) });
  }
  rmSync(runtimePath(ctx, 'block'), { force: true });
}
