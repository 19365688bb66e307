/**
 * Parser for /proc/net/fib_trie: the only /proc view of which IPv4 addresses
 * are local (the kernel keeps no per-device IPv4 address file). Every local
 * address appears as a leaf "|-- a.b.c.d" followed by "/32 host LOCAL" in
 * the Local table. Pure.
 */
export interface FibLeafRoute {
  table: string;
  /** Leaf address as text, e.g. "192.0.2.7". */
  leaf: string;
  prefixLen: number;
  scope: string;
  type: string;
}

export function parseFibTrie(text: string): FibLeafRoute[] {
  const out: FibLeafRoute[] = [];
  let table = '';
  let leaf: string | undefined;
  for (const raw of text.split('\n')) {
    if (raw.length === 0) continue;
    if (!raw.startsWith(' ')) {
      // "Main:", "Local:", or "Id 100:" for extra tables.
      table = raw.replace(/:\s*$/, '').trim();
      leaf = undefined;
      continue;
    }
    const line = raw.trim();
    if (line.startsWith('|-- ')) {
      leaf = line.slice(4).trim();
      continue;
    }
    if (line.startsWith('+-- ')) {
      leaf = undefined;
      continue;
    }
    const m = /^\/(\d+)\s+(\S+)\s+(\S+)/.exec(line);
    if (m && leaf !== undefined) {
      out.push({ table, leaf, prefixLen: Number(m[1]), scope: m[2]!, type: m[3]! });
    }
  }
  return out;
}

/** Local IPv4 addresses (host-scope LOCAL /32 leaves), as canonical dotted quads. */
export function localIpv4Addresses(routes: readonly FibLeafRoute[]): Set<string> {
  const s = new Set<string>();
  for (const r of routes) if (r.prefixLen === 32 && r.type === 'LOCAL') s.add(r.leaf);
  return s;
}

