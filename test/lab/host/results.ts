import * as fs from 'node:fs';
import { join } from 'node:path';

/** Reading what the guest wrote for one lab test (see test/lab/guest/lib.sh). */
export interface LabTestResult {
  name: string;
  dir: string;
  rc: number | undefined;
  tap: string[];
  metrics: Map<string, number[]>;
}

export function resultsDir(): string {
  const dir = process.env.LAB_RESULTS;
  if (!dir) throw new Error('LAB_RESULTS is not set: run test/lab/run-all.sh');
  return dir;
}

/** Lab tests that ran in this result set (one directory per VM boot, named after the test). */
export function labTests(): string[] {
  const dir = resultsDir();
  return fs.readdirSync(dir).filter((n) => fs.existsSync(join(dir, n, 'params.sh'))).sort();
}

export function parseMetrics(text: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (!name || value === undefined || !Number.isFinite(Number(value))) continue;
    m.set(name, [...(m.get(name) ?? []), Number(value)]);
  }
  return m;
}

export function readResult(name: string): LabTestResult {
  const dir = join(resultsDir(), name, name);
  const read = (f: string) => (fs.existsSync(join(dir, f)) ? fs.readFileSync(join(dir, f), 'utf8') : undefined);
  const rc = read('rc');
  return {
    name,
    dir,
    rc: rc === undefined ? undefined : Number(rc.trim()),
    tap: (read('tap.txt') ?? '').split('\n').filter(Boolean),
    metrics: parseMetrics(read('metrics.txt') ?? ''),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
