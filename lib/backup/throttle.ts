/**
 * `--throttle MB/s`: paces reads so the average since the start stays at or below the rate
 * (1 MB = 10^6 bytes, as dd reports). A pause of the process (SIGSTOP, a slow device) is not
 * made up for with a burst: the budget never runs more than one second ahead.
 */
export class Throttle {
  private t0: number | undefined;
  private allowed = 0;

  constructor(
    readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {
    if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) throw new RangeError(`throttle must be a positive rate, got ${bytesPerSecond}`);
  }

  /** Wait until `bytes` more may be read; an abort ends the wait at once (the caller checks the signal). */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const t0 = (this.t0 ??= now);
    // Time at which the bytes taken so far are due at the rate; never let credit build up beyond 1 s.
    const earliest = now - 1000;
    const due = Math.max(t0 + (this.allowed / this.bytesPerSecond) * 1000, earliest);
    if (due > now) await this.sleep(due - now, signal);
    this.allowed = ((Math.max(due, earliest) - t0) / 1000) * this.bytesPerSecond + bytes;
  }
}

/** Parse "--throttle 50" / "50MB/s" / "1.5" into bytes per second. */
export function parseThrottle(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:MB\/s|MB|M)?\s*$/i.exec(text);
  if (!m || Number(m[1]) <= 0) throw new RangeError(`--throttle wants a rate in MB/s (e.g. 50 or 12.5), got ${JSON.stringify(text)}`);
  return Number(m[1]) * 1e6;
}

/** setTimeout that an abort cuts short, leaving no timer behind (an interrupted run exits at once). */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
