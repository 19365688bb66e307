import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A node-local lock so that two target resources never plan against the same snapshot
 * (HBA index allocation, shared storage objects). A lock left by a dead process is taken over.
 */
export async function withLock<T>(path: string, waitMs: number, f: () => Promise<T>): Promise<T> {
  await fs.mkdir(dirname(path), { recursive: true });
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await fs.open(path, 'wx', 0o600);
      await fh.write(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number((await fs.readFile(path, 'utf8').catch(() => '')).trim());
      if (!holder || !alive(holder)) {
        await fs.rm(path, { force: true });
        continue;
      }
      if (Date.now() > until) throw new Error(`lock ${path} is held by process ${holder}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await f();
  } finally {
    await fs.rm(path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
