/**
 * Progress of a copy or a verify: bytes done of bytes planned, rate over the last seconds,
 * ETA. On a terminal one line redrawn in place a few times a second; otherwise (a log, cron
 * mail) a plain line every `intervalMs`, so the output stays readable.
 */
export interface ProgressSnapshot {
  phase: 'copy' | 'verify';
  doneBytes: number;
  totalBytes: number;
  /** Segments written (copy) or found different (verify) so far. */
  written: number;
}

export interface ProgressSink {
  /** A phase starts (with what an earlier, interrupted run already did). */
  begin(p: ProgressSnapshot): void;
  update(p: ProgressSnapshot): void;
  /** Ends the line on a terminal; prints the last state on a plain stream. */
  done(p: ProgressSnapshot): void;
}

export const MB = 1e6;

export function formatBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Rate over a sliding window of samples (bytes/s), robust to bursty reads. */
export class RateMeter {
  private samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 5000) {}

  add(atMs: number, doneBytes: number): void {
    this.samples.push([atMs, doneBytes]);
    while (this.samples.length > 2 && this.samples[0]![0] < atMs - this.windowMs) this.samples.shift();
  }

  /** Bytes per second, or 0 before two samples. */
  rate(): number {
    const a = this.samples[0];
    const b = this.samples.at(-1);
    if (!a || !b || b[0] <= a[0]) return 0;
    return ((b[1] - a[1]) * 1000) / (b[0] - a[0]);
  }
}

export function progressLine(p: ProgressSnapshot, rate: number): string {
  const pct = p.totalBytes > 0 ? (100 * p.doneBytes) / p.totalBytes : 100;
  const eta = rate > 0 ? (p.totalBytes - p.doneBytes) / rate : Number.NaN;
  const what = p.phase === 'copy' ? 'written' : 'differ';
  return `${p.phase}: ${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)} (${pct.toFixed(1)}%), ${(rate / MB).toFixed(1)} MB/s, ETA ${formatDuration(eta)}, ${p.written} segments ${what}`;
}

export function progressSink(stream: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean }, o: { intervalMs?: number; now?: () => number } = {}): ProgressSink {
  const tty = Boolean((stream as { isTTY?: boolean }).isTTY);
  const now = o.now ?? (() => performance.now());
  const interval = o.intervalMs ?? (tty ? 250 : 10_000);
  let meter = new RateMeter();
  // Per phase: when it started and when a line was last printed (the first plain line comes after one interval).
  let phase: { name: string; t0: number; base: number; last: number } | null = null;
  const write = (line: string, final: boolean) => {
    if (tty) stream.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else stream.write(`lioha backup: ${line}\n`);
  };
  const enter = (p: ProgressSnapshot, t: number) => {
    if (phase?.name === p.phase) return phase;
    meter = new RateMeter();
    return (phase = { name: p.phase, t0: t, base: p.doneBytes, last: tty ? -Infinity : t });
  };
  return {
    begin(p) {
      phase = null;
      enter(p, now());
    },
    update(p) {
      const t = now();
      const ph = enter(p, t);
      meter.add(t, p.doneBytes);
      if (t - ph.last < interval) return;
      ph.last = t;
      write(progressLine(p, meter.rate()), false);
    },
    done(p) {
      const t = now();
      const ph = enter(p, t);
      // The closing line gives the phase's average rate (a resumed run counts only its own bytes).
      const secs = (t - ph.t0) / 1000;
      write(progressLine(p, secs > 0 ? (p.doneBytes - ph.base) / secs : 0).replace(/, ETA [^,]+/, `, ${formatDuration(secs)}`), true);
      phase = null;
    },
  };
}

/** A sink that prints nothing (--quiet, tests). */
export const silentProgress: ProgressSink = { begin: () => undefined, update: () => undefined, done: () => undefined };
