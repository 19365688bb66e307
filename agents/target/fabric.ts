import type { OcfContext } from '../../lib/ocf/context.js';
import { Failure } from '../../lib/failure.js';

/** modprobe's limit on normal hardware; a slower node's op timeout scales it (Deadline.step). */
export const MODPROBE_MS = 10_000;

/** Load iscsi_target_mod (it pulls in target_core_mod), so the iSCSI fabric can be registered. */
export async function loadFabricModule(ctx: OcfContext<unknown>): Promise<void> {
  const { run } = await import('../../lib/exec/run.js');
  try {
    await run('modprobe', ['iscsi_target_mod'], { timeoutMs: ctx.deadline.step(MODPROBE_MS) });
  } catch (e) {
    throw new Failure('installed', `cannot load iscsi_target_mod: ${(e as Error).message}`);
  }
}
