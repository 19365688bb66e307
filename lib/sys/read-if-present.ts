/** Reading a file that may legitimately be absent: the whole text, or a handle on it. */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { readTextAsync } from './fs-callback.js';

/** What `op` on a path gives, or null when the path does not exist; any other error is thrown. */
async function ifPresent<T>(op: Promise<T>): Promise<T | null> {
  try {
    return await op;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** The file's text, or null when it does not exist; any other error is thrown. */
export const readTextIfPresent = (path: string): Promise<string | null> => ifPresent(readTextAsync(path));

/** The file opened with `flags`, or null when it does not exist; any other error is thrown. */
export const openIfPresent = (path: string, flags: string): Promise<FileHandle | null> => ifPresent(fsp.open(path, flags));
