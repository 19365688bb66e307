/**
 * Prometheus text exposition format 0.0.4: one HELP and TYPE line per family,
 * samples grouped under it, label values escaped. Pure.
 */
export type MetricType = 'counter' | 'gauge' | 'info';
export type Labels = Readonly<Record<string, string | number>>;

interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: string[];
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(v: string): string {
  if (!/[\\\n"]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Labels rendered once (`{k="v",...}`), for several metrics of the same object. */
export class RenderedLabels {
  constructor(readonly text: string) {}
}

export function renderLabels(labels: Labels): RenderedLabels {
  const keys = Object.keys(labels);
  if (!keys.length) return new RenderedLabels('');
  let text = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!LABEL_RE.test(k) || k.startsWith('__')) throw new Error(`bad label name ${k}`);
    text += `${i ? ',' : ''}${k}="${escapeLabelValue(String(labels[k]))}"`;
  }
  return new RenderedLabels(text + '}');
}

export class Exposition {
  private readonly families = new Map<string, Family>();

  /** Declare a family; samples may follow in any order. `info` is written as a gauge named *_info. */
  family(name: string, type: MetricType, help: string): this {
    if (!NAME_RE.test(name)) throw new Error(`bad metric name ${name}`);
    if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    if (!this.families.has(name)) this.families.set(name, { name, type, help, samples: [] });
    return this;
  }

  /** Add a sample; undefined values are left out (the kernel did not report the counter). */
  sample(name: string, labels: Labels | RenderedLabels, value: number | undefined): this {
    if (value === undefined) return this;
    const f = this.families.get(name);
    if (!f) throw new Error(`metric ${name} not declared`);
    const text = labels instanceof RenderedLabels ? labels.text : renderLabels(labels).text;
    f.samples.push(`${name}${text} ${formatValue(value)}`);
    return this;
  }

  /** The exposition text; families without samples are left out. */
  text(): string {
    let out = '';
    for (const f of this.families.values()) {
      if (!f.samples.length) continue;
      out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type === 'info' ? 'gauge' : f.type}\n`;
      out += f.samples.join('\n') + '\n';
    }
    return out;
  }
}
