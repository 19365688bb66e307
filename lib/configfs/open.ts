import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EMULATOR_MARKER, GuardedConfigFs, TARGET_ROOT, type ConfigFs } from './io.js';

export { TARGET_ROOT };

/**
 * Opens the target root under `rootPath(abs)` (ctx.root.path). The emulator is chosen when
 * the marker file exists: it cannot exist on a real configfs, where files are only created
 * by the kernel. Every operation is counted and bounded by `timeoutMs()`; LIOHA_CONFIGFS_TRACE
 * names a file to list the mutating ones in (the lab's fidelity check).
 */
export async function openConfigFs(rootPath: (abs: string) => string, timeoutMs: () => number): Promise<GuardedConfigFs> {
  const base = rootPath(TARGET_ROOT);
  let inner: ConfigFs;
  if (existsSync(join(base, EMULATOR_MARKER))) {
    const { EmulatedConfigFs } = await import('./emulator.js');
    inner = new EmulatedConfigFs(base);
  } else {
    const { NodeConfigFs } = await import('./node-backend.js');
    inner = new NodeConfigFs(base);
  }
  return new GuardedConfigFs(inner, timeoutMs, process.env.LIOHA_CONFIGFS_TRACE || undefined);
}
