/**
 * Pure parser for `drbdsetup show` (the kernel's running configuration; 8.4
 * prints `resource r0 {`, 9 prints `resource "r0" {`). Gives, per minor, the
 * resource, volume and backing disk: the device -> resource mapping /proc/drbd
 * lacks on 8.x, and the backing disks LVM must never scan.
 */
export interface DrbdMinorConfig {
  resource: string;
  volume: number;
  minor: number;
  /** Backing disk path, or undefined for a diskless volume (`disk none;`). */
  disk?: string;
}

export function parseDrbdsetupShow(text: string): DrbdMinorConfig[] {
  const out: DrbdMinorConfig[] = [];
  let resource: string | undefined;
  let volume: number | undefined;
  let depth = 0;
  let volumeDepth = -1;
  let current: Partial<DrbdMinorConfig> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const res = /^resource\s+"?([^"\s{]+)"?\s*\{/.exec(line);
    if (res && depth === 0) resource = res[1];
    const vol = /^volume\s+(\d+)\s*\{/.exec(line);
    if (vol && resource) {
      volume = Number(vol[1]);
      volumeDepth = depth;
      current = { resource, volume };
    }
    if (current && depth === volumeDepth + 1) {
      const minor = /^device\s+minor\s+(\d+)\s*;/.exec(line);
      if (minor) current.minor = Number(minor[1]);
      const disk = /^disk\s+"([^"]+)"\s*;/.exec(line);
      if (disk) current.disk = disk[1];
    }
    depth += (line.match(/\{/g)?.length ?? 0) - (line.match(/\}/g)?.length ?? 0);
    if (current && depth === volumeDepth) {
      if (current.minor !== undefined) out.push(current as DrbdMinorConfig);
      current = undefined;
      volume = undefined;
      volumeDepth = -1;
    }
    if (depth === 0) resource = undefined;
  }
  return out;
}
