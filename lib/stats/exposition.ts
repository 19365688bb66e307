/**
 * Prometheus text exposition format 0.0.4: one HELP and TYPE line per family,
 * samples grouped under it, label values escaped. Pure.
 */
export type MetricType = 'counter' | 'gauge' | 'info';
export type Labels = Readonly<Record<string, string | number>>;

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

/**
 * Rendered labels: '' or `{k="v",...}`. An object's labels are rendered once and
 * extended for its parts, instead of rendering every sample's labels.
 */
export type LabelText = string;

/** Label names seen valid: the names are the code's own constants, checked once each. */
const checkedNames = new Set<string>();
function labelPairs(labels: Labels): string {
  let text = '';
  for (const k in labels) {
    if (!checkedNames.has(k)) {
      if (!LABEL_RE.test(k) || k.startsWith('__')) throw new Error(`bad label name ${k}`);
      checkedNames.add(k);
    }
    const v = labels[k]!;
    text += `${text ? ',' : ''}${k}="${typeof v === 'number' ? v : escapeLabelValue(v)}"`;
  }
  return text;
}

/** Appends rendered pairs (`k="v",...`) to rendered labels. */
export function appendPairs(base: LabelText, pairs: string): LabelText {
  if (!pairs) return base;
  return base ? `${base.slice(0, -1)},${pairs}}` : `{${pairs}}`;
}

export function renderLabels(labels: Labels): LabelText {
  return appendPairs('', labelPairs(labels));
}

/** base's labels followed by more (an object's labels, then its part's). */
export function extendLabels(base: LabelText, more: Labels): LabelText {
  return appendPairs(base, labelPairs(more));
}

/** One metric family and its sample lines. */
export class Family {
  readonly lines: string[] = [];
  constructor(readonly name: string, readonly type: MetricType, readonly help: string) {}

  /** Adds a sample; an undefined value is left out (the kernel did not report the counter). */
  add(labels: LabelText, value: number | undefined): void {
    if (value !== undefined) this.lines.push(`${this.name}${labels} ${formatValue(value)}`);
  }
}

export class Exposition {
  private readonly families = new Map<string, Family>();

  /** Declare a family; samples may follow in any order. `info` is written as a gauge named *_info. */
  family(name: string, type: MetricType, help: string): this {
    if (!NAME_RE.test(name)) throw new Error(`bad metric name ${name}`);
    if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    if (!this.families.has(name)) this.families.set(name, new Family(name, type, help));
    return this;
  }

  /** The declared family `name`. */
  get(name: string): Family {
    const f = this.families.get(name);
    if (!f) throw new Error(`metric ${name} not declared`);
    return f;
  }

  /** Add a sample; undefined values are left out (the kernel did not report the counter). */
  sample(name: string, labels: Labels | LabelText, value: number | undefined): this {
    this.get(name).add(typeof labels === 'string' ? labels : renderLabels(labels), value);
    return this;
  }

  /** The exposition text; families without samples are left out. */
  text(): string {
    let out = '';
    for (const f of this.families.values()) {
      if (!f.lines.length) continue;
      out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type === 'info' ? 'gauge' : f.type}\n`;
      out += f.lines.join('\n') + '\n';
    }
    return out;
  }
}
