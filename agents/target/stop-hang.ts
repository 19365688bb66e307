/**
 * What to do when the kernel does not answer during stop. LIO lives in the kernel: a task
 * stuck in a configfs write cannot be killed, and the node cannot be trusted to release the
 * target. The seed's answer (S2 その8) is an immediate reboot through sysrq unless the admin
 * forbids it with /etc/ha.d/noreboot.
 */
import { existsSync, appendFileSync, writeFileSync } from 'node:fs';
import type { Root } from '../../lib/sys/root.js';
import type { Logger } from '../../lib/log/logger.js';

export type RebootFn = (root: Root, log: Logger) => Promise<void>;

export const NOREBOOT_FLAG = '/etc/ha.d/noreboot';

/** sysrq: enable, emergency sync (s), remount read-only (u), reboot now (b). */
export const sysrqReboot: RebootFn = async (root, log) => {
  log.error('rebooting through sysrq: kernel target interface hung during stop');
  await log.flush();
  writeFileSync(root.path('/proc/sys/kernel/sysrq'), '1');
  for (const key of ['s', 'u', 'b']) {
    appendFileSync(root.path('/proc/sysrq-trigger'), key);
    if (key !== 'b') await new Promise((r) => setTimeout(r, key === 's' ? 1000 : 500));
  }
};

export interface HangDecision { rebooted: boolean; reason: string }

export async function onStopHang(policy: 'fail' | 'reboot', root: Root, log: Logger, what: string, reboot: RebootFn): Promise<HangDecision> {
  if (policy === 'fail') return { rebooted: false, reason: `${what}; on_stop_hang=fail` };
  if (existsSync(root.path(NOREBOOT_FLAG))) return { rebooted: false, reason: `${what}; ${NOREBOOT_FLAG} exists, not rebooting` };
  await reboot(root, log);
  return { rebooted: true, reason: `${what}; reboot through sysrq requested` };
}
