/**
 * Reads lvm.conf-style text into "section/key" -> value (string, number or a
 * list of strings). Comments and unknown syntax are skipped; later files
 * override earlier ones (lvm.conf, then lvmlocal.conf). Pure.
 */
export type LvmValue = string | number | string[];

/** Drops `#` comments, but not a `#` inside a quoted string (filter rules may use it as delimiter). */
function stripComments(text: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
      out += c;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

export function parseLvmConf(text: string, into: Map<string, LvmValue> = new Map()): Map<string, LvmValue> {
  const src = stripComments(text);
  const tok = /([A-Za-z_][\w]*)\s*\{|\}|([A-Za-z_][\w]*)\s*=\s*(\[\s*(?:"(?:[^"\\]|\\.)*"\s*,?\s*)*\]|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)/g;
  const path: string[] = [];
  for (let m = tok.exec(src); m; m = tok.exec(src)) {
    if (m[1]) path.push(m[1]);
    else if (m[0] === '}') path.pop();
    else if (m[2]) {
      const raw = m[3]!;
      let v: LvmValue;
      if (raw.startsWith('[')) v = [...raw.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!.replace(/\\(.)/g, '$1'));
      else if (raw.startsWith('"')) v = raw.slice(1, -1).replace(/\\(.)/g, '$1');
      else v = Number(raw);
      into.set([...path, m[2]].join('/'), v);
    }
  }
  return into;
}

/** One LVM filter rule: "a|regex|" -> { accept, regex }. */
export function parseFilterRule(rule: string): { accept: boolean; regex: string } | undefined {
  const m = /^([ar])(.)(.*)\2$/.exec(rule);
  return m ? { accept: m[1] === 'a', regex: m[3]! } : undefined;
}

/** What a filter list decides for a device path (first matching rule wins; no match accepts). */
export function filterAccepts(rules: readonly string[], device: string): boolean {
  for (const r of rules) {
    const p = parseFilterRule(r);
    if (!p) continue;
    let re: RegExp;
    try {
      re = new RegExp(p.regex);
    } catch {
      continue;
    }
    if (re.test(device)) return p.accept;
  }
  return true;
}
