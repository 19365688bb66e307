/**
 * A compiled copy of what a target resource wants (its DesiredState), kept under /run so that a
 * monitor need not parse and check the whole saveconfig.json on every run (that was a sixth of a
 * depth-0 monitor's cost). It is only an optimisation: anything unexpected is a miss, and the
 * caller then reads the configuration as usual.
 *
 * The key holds everything the state was derived from: the agent build (the installed agent
 * file's identity), the parameters (iqn list, config and secrets paths, derive_wwn), and the
 * identity of every file read (device, inode, size, mode, mtime and ctime in nanoseconds). A
 * config edit, chmod, rename over, or reinstall changes the key.
 *
 * The state may hold CHAP passwords (to compare them at depth 10). The cache lives on tmpfs (/run:
 * never on disk, gone at boot), in a 0700 directory, as a 0600 file owned by this user, written
 * through an O_EXCL temporary and renamed: the same protection as the 0600 configuration the
 * passwords come from. A cache file of another owner or with a wider mode is ignored. Monitors,
 * start and stop read it; validate-all run by hand reads the configuration itself.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import type { DesiredState, StorageObject, StorageObjectRef, Target } from './model.js';

/** Bump when the encoding changes (the agent identity changes with any build anyway). */
const FORMAT = 2;
/** A cache larger than this is not ours (a DesiredState is a few KB per target). */
const MAX_BYTES = 8 * 1024 * 1024;

export interface CacheInputs {
  /** The agent build: anything that changes when the code does (see agentIdentity). */
  agent: string;
  iqns: readonly string[];
  deriveWwn: boolean;
  /** Host paths of the configuration (a file or a directory) and of the secrets file, if any. */
  config: string;
  secrets?: string;
}

/** The identity of the running agent file (the launcher is rewritten on every build and install). */
export function agentIdentity(file: string | undefined = process.argv[1]): string {
  if (!file) return 'unknown';
  try {
    return `${file}@${fileId(file)}`;
  } catch {
    return `${file}@missing`;
  }
}

let youngest = 0;
function fileId(path: string): string {
  const st = statSync(path, { bigint: true });
  youngest = Math.max(youngest, Number(st.mtimeNs / 1_000_000n));
  return `${st.dev}:${st.ino}:${st.size}:${st.mode}:${st.mtimeNs}:${st.ctimeNs}`;
}

/**
 * File times advance in clock ticks (a few ms), so a file changed twice within one tick, to the same
 * size, keeps its key. As git does with its index, a state is cached only once every file it came
 * from is older than this: a later change then always moves the modification time.
 */
export const SETTLED_MS = 2000;

export interface Key {
  key: string;
  /** Whether the state may be written to the cache now (every input older than SETTLED_MS). */
  settled: boolean;
}

/** The key, or undefined when an input cannot be stat'ed (the caller then reads the files and reports). */
export function cacheKey(inputs: CacheInputs, now = Date.now()): Key | undefined {
  youngest = 0;
  try {
    const files: string[] = [fileId(inputs.config)];
    if (statSync(inputs.config).isDirectory()) {
      for (const n of readdirSync(inputs.config).filter((x) => x.endsWith('.json')).sort()) files.push(`${n}=${fileId(`${inputs.config}/${n}`)}`);
    }
    if (inputs.secrets) files.push(`secrets=${fileId(inputs.secrets)}`);
    const key = JSON.stringify([FORMAT, inputs.agent, [...inputs.iqns], inputs.deriveWwn, inputs.config, inputs.secrets ?? null, files]);
    return { key, settled: now - youngest >= SETTLED_MS };
  } catch {
    return undefined;
  }
}

interface Encoded { key: string; storageObjects: [StorageObjectRef, StorageObject][]; targets: [string, Target][]; kernelDecided?: string[] }

/** The cached state for `key`, or undefined (missing, another key, not private, unreadable, malformed). */
export function readDesiredCache(path: string, key: string): DesiredState | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (st.mode & 0o077) !== 0 || st.uid !== process.geteuid?.() || st.size > MAX_BYTES) return undefined;
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    const e = JSON.parse(buf.toString('utf8', 0, off)) as Encoded;
    if (e.key !== key || !Array.isArray(e.storageObjects) || !Array.isArray(e.targets)) return undefined;
    if (e.kernelDecided !== undefined && !(Array.isArray(e.kernelDecided) && e.kernelDecided.every((x) => typeof x === 'string'))) return undefined;
    return { storageObjects: new Map(e.storageObjects), targets: new Map(e.targets), ...(e.kernelDecided ? { kernelDecided: e.kernelDecided } : {}) };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the cache (best effort: a failure only costs the next monitor a parse). Synchronous, no
 * fsync: /run is tmpfs and a torn or missing cache is a miss.
 */
export function writeDesiredCache(path: string, key: string, desired: DesiredState): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const body: Encoded = {
    key, storageObjects: [...desired.storageObjects], targets: [...desired.targets],
    ...(desired.kernelDecided?.length ? { kernelDecided: [...desired.kernelDecided] } : {}),
  };
  try {
    mkdirSync(dir.slice(0, dir.lastIndexOf('/')) || '/', { recursive: true, mode: 0o755 }); // /run/lioha is shared
    try { mkdirSync(dir, { mode: 0o700 }); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
    if ((statSync(dir).mode & 0o077) !== 0) return; // a directory others can enter is not where passwords go
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, JSON.stringify(body));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch {
    try { unlinkSync(tmp); } catch { /* never created */ }
  }
}
