/**
 * Pure parser for /proc/self/mounts (fstab format). The kernel escapes space,
 * tab, newline and backslash in device and mount point as \040 \011 \012 \134.
 */
export interface MountEntry {
  device: string;
  mountPoint: string;
  fstype: string;
  options: string[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 4 || f[0] === '') continue;
    out.push({ device: unescape(f[0]!), mountPoint: unescape(f[1]!), fstype: f[2]!, options: f[3]!.split(',') });
  }
  return out;
}

/** The last (topmost) mount on a mount point, as the kernel resolves it. */
export function mountAt(mounts: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  const want = stripSlash(mountPoint);
  return mounts.filter((m) => stripSlash(m.mountPoint) === want).at(-1);
}

/** Mounts whose mount point lies at or below dir (nested mounts keep a busy tree busy). */
export function mountsUnder(mounts: readonly MountEntry[], dir: string): MountEntry[] {
  const base = stripSlash(dir);
  return mounts.filter((m) => {
    const p = stripSlash(m.mountPoint);
    return p === base || p.startsWith(base === '/' ? '/' : `${base}/`);
  });
}

const stripSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/**
 * Whether every requested mount option is in effect. The kernel rewrites some
 * (defaults disappears, relatime/rw are added), so only options the user gave,
 * other than `defaults`, are checked.
 */
export function hasOptions(entry: MountEntry, wanted: string): boolean {
  const want = wanted.split(',').map((o) => o.trim()).filter((o) => o && o !== 'defaults');
  return want.every((o) => entry.options.includes(o));
}
