/**
 * Writes a file that holds secrets (a saveconfig.json with CHAP passwords): a temporary file with
 * a random name, created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) with mode 0600 in the target's
 * directory, fsynced, renamed over the target, then the directory fsynced. A symlink or file
 * planted anywhere is never followed or reused, and the result is 0600 whatever was there before.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  await replaceFile(path, data, 0o600);
}

/** The same crash-safe, exclusive replacement with another mode (0644 for a file without secrets). */
export async function replaceFile(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const final = resolve(path);
  const dir = dirname(final);
  const tmp = join(dir, `.${basename(final)}.${randomBytes(8).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    try {
      await fh.chmod(mode); // whatever the umask
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
