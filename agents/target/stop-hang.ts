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
  // Verdict first: Pacemaker keeps 128 characters, and what happened matters more than the path.
  if (policy === 'fail') return { rebooted: false, reason: `stop hung (on_stop_hang=fail): ${what}` };
  if (existsSync(root.path(NOREBOOT_FLAG))) return { rebooted: false, reason: `stop hung, not rebooting (${NOREBOOT_FLAG} exists): ${what}` };
  await reboot(root, log);
  return { rebooted: true, reason: `stop hung, reboot through sysrq requested: ${what}` };
}
