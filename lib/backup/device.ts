/** Sizes and kinds of the files and block devices a backup reads and writes. */
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Root } from '../sys/root.js';
import { BackupError } from './errors.js';

export const devMajor = (rdev: number): number => ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
export const devMinor = (rdev: number): number => (rdev & 0xff) | ((rdev >>> 12) & ~0xff & 0xfffff);

/** Size of a block device from sysfs (stat reports 0 for device nodes). */
export async function blockDeviceBytes(st: Stats, root: Root, path: string): Promise<bigint> {
  const sys = root.path(`/sys/dev/block/${devMajor(st.rdev)}:${devMinor(st.rdev)}/size`);
  try {
    return BigInt((await readFile(sys, 'utf8')).trim()) * 512n;
  } catch (e) {
    throw new BackupError('input', `cannot size block device ${path}: ${sys}: ${(e as Error).message}`);
  }
}

/** A regular file or block device and its size; anything else is refused. */
export async function sizeOf(path: string, root: Root): Promise<{ kind: 'file' | 'block'; bytes: bigint; st: Stats }> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    throw new BackupError('input', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (st.isFile()) return { kind: 'file', bytes: BigInt(st.size), st };
  if (st.isBlockDevice()) return { kind: 'block', bytes: await blockDeviceBytes(st, root, path), st };
  throw new BackupError('input', `${path} is neither a regular file nor a block device`);
}
