/**
 * Promise forms of the few node:fs calls that agents' monitors make asynchronously, built on
 * node:fs's callback API. node:fs/promises is ~12 modules (FileHandle, readline, watchers) to load
 * in every fork that imports it; modules on a monitor's path use these, or reach node:fs/promises
 * only through `promises` from node:fs (loaded on first use, by start and stop).
 */
import { close, open, read, readdir, readFile, realpath, stat } from 'node:fs';
import { promisify } from 'node:util';

export const statAsync = promisify(stat);
export const readdirAsync = (path: string): Promise<string[]> => promisify(readdir)(path);
export const readTextAsync = (path: string): Promise<string> => promisify(readFile)(path, 'utf8');
export const realpathAsync = (path: string): Promise<string> => promisify(realpath)(path);
export const openAsync = (path: string, flags: number): Promise<number> => promisify(open)(path, flags);
/** Bytes read into buf[0..length) from `position`. */
export const readAtAsync = (fd: number, buf: Buffer, length: number, position: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, buf, 0, length, position, (e, n) => (e ? reject(e) : resolve(n))));
export const closeAsync = (fd: number): Promise<void> => promisify(close)(fd);
