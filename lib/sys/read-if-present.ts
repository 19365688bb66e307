/** Reading a small state file that may legitimately be absent. */
import { readFile } from 'node:fs/promises';

/** The file's text, or null when it does not exist; any other error is thrown. */
export async function readTextIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
