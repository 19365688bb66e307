/**
 * An independent reader of the Prometheus text format 0.0.4, strict where
 * promtool is: metric and label name syntax, one TYPE and HELP per family
 * before its samples, samples of a family contiguous, no duplicate series,
 * counters named *_total, escaped label values, numeric values.
 */
export interface ParsedSample { name: string; labels: Record<string, string>; value: number }
export interface ParsedFamily { name: string; type: string; help: string; samples: ParsedSample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function parseLabels(text: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`line ${line}: bad label at ${JSON.stringify(text.slice(i))}`);
    i += m[0].length;
    let v = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '\\') {
        const n = text[i + 1];
        if (n === 'n') v += '\n';
        else if (n === '\\' || n === '"') v += n;
        else throw new Error(`line ${line}: bad escape \\${n}`);
        i += 2;
        continue;
      }
      if (c === '"') { i++; break; }
      if (c === '\n') throw new Error(`line ${line}: raw newline in label`);
      v += c;
      i++;
    }
    if (m[1]! in out) throw new Error(`line ${line}: duplicate label ${m[1]}`);
    out[m[1]!] = v;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`line ${line}: expected , after label`);
  }
  return out;
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  let current: ParsedFamily | undefined;
  const closed = new Set<string>();
  text.slice(0, -1).split('\n').forEach((raw, idx) => {
    const line = idx + 1;
    if (raw === '') throw new Error(`line ${line}: empty line`);
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name!)) throw new Error(`line ${line}: bad metric name ${name}`);
      let f = families.get(name!);
      if (!f) {
        if (current) closed.add(current.name);
        f = { name: name!, type: '', help: '', samples: [] };
        families.set(name!, f);
        current = f;
      } else if (f !== current || f.samples.length) throw new Error(`line ${line}: ${kind} for ${name} after its samples or another family`);
      if (kind === 'TYPE') {
        if (f.type) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!)) throw new Error(`line ${line}: bad type ${rest}`);
        f.type = rest!;
      } else {
        if (f.help) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = rest!;
      }
      return;
    }
    if (raw.startsWith('#')) return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: ${raw}`);
    const [, name, labelText, valueText] = m;
    if (!current || current.name !== name) throw new Error(`line ${line}: sample ${name} outside its family block`);
    if (!/^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)|NaN|[+-]Inf)$/.test(valueText!)) throw new Error(`line ${line}: bad value ${valueText}`);
    const labels = parseLabels(labelText ?? '', line);
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}}`;
    if (series.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    series.add(key);
    if (current.type === 'counter' && !name!.endsWith('_total')) throw new Error(`line ${line}: counter ${name} without _total`);
    current.samples.push({ name: name!, labels, value: Number(valueText!.replace('Inf', 'Infinity')) });
  });
  for (const f of families.values()) if (!f.type || !f.help) throw new Error(`family ${f.name} lacks TYPE or HELP`);
  return families;
}
