/**
 * Device-mapper names of LVM volumes: `<vg>-<lv>[-<layer>]` with every `-`
 * inside vg and lv doubled (vg1/lv-lun0 -> vg1-lv--lun0). Pure.
 */
export function dmName(vg: string, lv: string): string {
  return `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

export interface DmLvName { vg: string; lv: string; layer?: string }

export function splitDmName(name: string): DmLvName | undefined {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '-') {
      if (name[i + 1] === '-') { cur += '-'; i++; continue; }
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) return undefined;
  return { vg: parts[0]!, lv: parts[1]!, layer: parts[2] };
}

/** Names an LV can be opened by. */
export function lvAliases(vg: string, lv: string, dmKernelName?: string): string[] {
  const a = [`/dev/${vg}/${lv}`, `/dev/mapper/${dmName(vg, lv)}`];
  if (dmKernelName) a.push(`/dev/${dmKernelName}`);
  return a;
}
