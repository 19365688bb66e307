/** Turns a log record into one line: for Pacemaker's log (plain) or a terminal (aligned, coloured). */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  level: Level;
  msg: string;
  agent: string;
  instance: string;
  action: string;
  fields: Record<string, unknown>;
}

const COLOURS: Record<Level, string> = { debug: '\x1b[2m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

function fieldText(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? v : v instanceof Error ? v.message : typeof v === 'bigint' ? String(v) : JSON.stringify(v);
    parts.push(`${k}=${/[\s"]/.test(s) ? JSON.stringify(s) : s}`);
  }
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** `lioha-target(p_tgt)[start] INFO: message key=value`: greppable, and says which resource and action. */
export function formatPlain(r: LogRecord): string {
  return `lioha-${r.agent}(${r.instance})[${r.action}] ${r.level.toUpperCase()}: ${r.msg}${fieldText(r.fields)}`;
}

export function formatTerminal(r: LogRecord): string {
  const lvl = r.level.toUpperCase().padEnd(5);
  return `${COLOURS[r.level]}${lvl}\x1b[0m ${r.action}: ${r.msg}\x1b[2m${fieldText(r.fields)}\x1b[0m`;
}

/** Replace the values of secret keys anywhere in a fields object. */
export function redact(fields: Record<string, unknown>, secrets: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (secrets.has(k)) out[k] = '***';
    else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Error)) out[k] = redact(v as Record<string, unknown>, secrets);
    else out[k] = v;
  }
  return out;
}
