/**
 * Terminal sparklines from the walk logs, for hosts without Grafana: per LUN and
 * per initiator, read and write throughput of the last N minutes. Rates come from
 * the differences of consecutive minute files (LIO counts whole MiB).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseWalk, stamp, STATS_NAME_RE } from './walk.js';
import { LUN_MBYTES_PATH_RE, MAPPED_LUN_MBYTES_PATH_RE } from '../configfs/layout.js';

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly (number | undefined)[]): string {
  const known = values.filter((v): v is number => v !== undefined);
  const max = Math.max(0, ...known);
  return values
    .map((v) => (v === undefined ? ' ' : max === 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)))]))
    .join('');
}

export interface Sample { at: Date; values: Map<string, string> }

/** Minute files of the window [now - minutes, now], oldest first. */
export function loadWalks(logDir: string, minutes: number, now: Date): Sample[] {
  const from = stamp(new Date(now.getTime() - minutes * 60_000)).minute;
  const to = stamp(now).minute;
  const days = new Set<string>();
  for (let t = now.getTime() - minutes * 60_000; t <= now.getTime() + 60_000; t += 3_600_000) days.add(stamp(new Date(t)).day);
  days.add(stamp(now).day);
  const out: Sample[] = [];
  for (const day of [...days].sort()) {
    let names: string[] = [];
    try {
      names = readdirSync(join(logDir, day));
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      const m = STATS_NAME_RE.exec(n);
      if (!m || m[1]! < from || m[1]! > to) continue;
      const s = m[1]!;
      try {
        const text = gunzipSync(readFileSync(join(logDir, day, n))).toString('latin1');
        out.push({ at: new Date(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12)), values: parseWalk(text) });
      } catch {
        /* a truncated file: skip it */
      }
    }
  }
  return out;
}

export interface Series { label: string; unit: string; points: (number | undefined)[] }

// Walk files log paths under LOGGED_ROOT, which is layout's TARGET_ROOT.
const LUN_RE = LUN_MBYTES_PATH_RE;
const INI_RE = MAPPED_LUN_MBYTES_PATH_RE;

/** MiB/s per LUN and per initiator+LUN, one point per minute interval. */
export function throughputSeries(samples: readonly Sample[]): Series[] {
  const keys = new Map<string, string>();
  for (const s of samples) {
    for (const path of s.values.keys()) {
      let m = LUN_RE.exec(path);
      if (m) { keys.set(path, `${m[1]} lun_${m[3]}${m[2] === '1' ? '' : ` tpgt_${m[2]}`} ${m[4]}`); continue; }
      m = INI_RE.exec(path);
      if (m) keys.set(path, `${m[1]} ${m[3]} lun_${m[4]}${m[2] === '1' ? '' : ` tpgt_${m[2]}`} ${m[5]}`);
    }
  }
  const series: Series[] = [];
  for (const [path, label] of [...keys].sort((a, b) => (a[1] < b[1] ? -1 : 1))) {
    const points: (number | undefined)[] = [];
    for (let i = 1; i < samples.length; i++) {
      const a = Number(samples[i - 1]!.values.get(path));
      const b = Number(samples[i]!.values.get(path));
      const secs = (samples[i]!.at.getTime() - samples[i - 1]!.at.getTime()) / 1000;
      // A counter that went down was reset (target restarted, failover): no point.
      points.push(Number.isFinite(a) && Number.isFinite(b) && b >= a && secs > 0 ? (b - a) / secs : undefined);
    }
    series.push({ label, unit: 'MiB/s', points });
  }
  return series;
}

export function renderPlot(series: readonly Series[], minutes: number, opts: { all?: boolean } = {}): string {
  const shown = opts.all ? series : series.filter((s) => s.points.some((p) => p !== undefined && p > 0));
  if (!series.length) return `no statistics walk files in the last ${minutes} minutes (run lioha stats --walk every minute)\n`;
  if (!shown.length) return `no I/O in the last ${minutes} minutes (${series.length} series idle)\n`;
  const width = Math.max(...shown.map((s) => s.label.length));
  let out = `throughput, last ${minutes} minutes, one character a minute (MiB/s)\n`;
  for (const s of shown) {
    const known = s.points.filter((p): p is number => p !== undefined);
    const max = Math.max(0, ...known);
    const last = known.at(-1) ?? 0;
    out += `${s.label.padEnd(width)}  ${sparkline(s.points)}  max ${max.toFixed(2)}  last ${last.toFixed(2)}\n`;
  }
  return out;
}
