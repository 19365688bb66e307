/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync
 * it, rename it over the final name, fsync the directory. A crash leaves either
 * the old file or the new one, plus at worst a temp file whose name starts with
 * a dot and ends with .tmp-<pid>-<n>, which readers ignore.
 */
import { promises as fsp } from 'node:fs'; // node:fs/promises loaded on first write, not by every fork
import { basename, dirname, join } from 'node:path';

let seq = 0;

export const TEMP_MARK = '.tmp-';

/** Temp name for `finalPath`: hidden, same directory (rename stays atomic). */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}${TEMP_MARK}${process.pid}-${seq++}`);
}

/** Whether a directory entry is a temp file of writeFileAtomic. */
export const isTempName = (name: string): boolean => name.startsWith('.') && name.includes(TEMP_MARK);

export interface AtomicWriteOptions {
  mode?: number;
  /** Test seam: runs after the data is durable and before the rename (a crash here leaves the temp file). */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

export async function writeFileAtomic(finalPath: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempPathFor(finalPath);
  const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await opts.beforeRename?.(tmp);
    await fsp.rename(tmp, finalPath);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(finalPath));
}

/** fsync a directory so a rename or create in it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const dh = await fsp.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
