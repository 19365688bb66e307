/**
 * What the doctor needs from the DRBD configuration text (drbd.conf,
 * global_common.conf, *.res): per resource, the fencing policy and the
 * handlers, with `common` settings inherited. Pure; approximate on purpose
 * (no includes, no per-volume overrides), which is enough to find a missing
 * `fencing resource-only` or crm-fence-peer handler.
 */
export interface DrbdResourceConf {
  name: string;
  fencing?: string;
  handlers: Record<string, string>;
  /** Backing disks (`disk /dev/...`), for the LVM filter check. */
  disks: string[];
  devices: string[];
}

function blocks(text: string, keyword: string): { name: string; body: string }[] {
  const out: { name: string; body: string }[] = [];
  const re = new RegExp(`(?:^|[\\s;}])${keyword}(?:\\s+("?)([^\\s"{]+)\\1)?\\s*\\{`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < text.length && depth; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    out.push({ name: m[2] ?? '', body: text.slice(re.lastIndex, i - 1) });
    re.lastIndex = i;
  }
  return out;
}

function settings(body: string): { fencing?: string; handlers: Record<string, string> } {
  const fencing = /(?:^|[\s;{])fencing\s+([\w-]+)\s*;/.exec(body)?.[1];
  const handlers: Record<string, string> = {};
  for (const h of blocks(body, 'handlers')) {
    for (const m of h.body.matchAll(/([\w-]+)\s+"([^"]*)"\s*;/g)) handlers[m[1]!] = m[2]!;
  }
  return { ...(fencing ? { fencing } : {}), handlers };
}

export function parseDrbdConf(text: string): DrbdResourceConf[] {
  const clean = text.replace(/#[^\n]*/g, '');
  const common = blocks(clean, 'common').map((c) => settings(c.body));
  const base = common.reduce<{ fencing?: string; handlers: Record<string, string> }>(
    (acc, c) => ({ ...(c.fencing ?? acc.fencing ? { fencing: c.fencing ?? acc.fencing } : {}), handlers: { ...acc.handlers, ...c.handlers } }),
    { handlers: {} },
  );
  return blocks(clean, 'resource').map((r) => {
    const own = settings(r.body);
    const fencing = own.fencing ?? base.fencing;
    return {
      name: r.name,
      ...(fencing ? { fencing } : {}),
      handlers: { ...base.handlers, ...own.handlers },
      disks: [...r.body.matchAll(/(?:^|[\s;{])disk\s+(\/[^\s;]+)\s*;/g)].map((m) => m[1]!),
      devices: [...r.body.matchAll(/(?:^|[\s;{])device\s+(\/[^\s;]+)/g)].map((m) => m[1]!),
    };
  });
}
