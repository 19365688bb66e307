/**
 * Resync/verify progress lines of /proc/drbd (8.x), which the state parser
 * (lib/proc/drbd-proc.ts) leaves out. Pure.
 *
 *    0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
 *       ns:145248 nr:0 dw:0 dr:146112 al:0 bm:8 lo:0 pe:1 ua:0 ap:0 ep:1 wo:f oos:117184
 *   	[=========>..........] sync'ed: 55.6% (117184/262108)K
 *   	finish: 0:00:05 speed: 22,400 (22,400) K/sec
 */
export interface ResyncProgress {
  minor: number;
  kind: 'sync' | 'verify';
  /** Percent done, as DRBD prints it. */
  percent: number;
  remainingBytes?: number;
  totalBytes?: number;
  /** Estimated seconds left (DRBD's own estimate). */
  etaSeconds?: number;
  /** Current rate, bytes per second. */
  speedBytesPerSecond?: number;
}

const UNIT: Record<string, number> = { K: 1024, M: 1048576 };
const MINOR = /^\s*(\d+):\s+cs:/;

export function parseResyncProgress(text: string): ResyncProgress[] {
  const out: ResyncProgress[] = [];
  let minor: number | undefined;
  let cur: ResyncProgress | undefined;
  for (const line of text.split('\n')) {
    const m = MINOR.exec(line);
    if (m) {
      minor = Number(m[1]);
      cur = undefined;
      continue;
    }
    if (minor === undefined) continue;
    const p = /(sync'ed|verified):\s*([\d.]+)%(?:\s*\((\d+)\/(\d+)\)([KM]))?/.exec(line);
    if (p) {
      const unit = UNIT[p[5] ?? 'K']!;
      cur = {
        minor,
        kind: p[1] === 'verified' ? 'verify' : 'sync',
        percent: Number(p[2]),
        ...(p[3] !== undefined ? { remainingBytes: Number(p[3]) * unit, totalBytes: Number(p[4]) * unit } : {}),
      };
      out.push(cur);
      continue;
    }
    const f = /finish:\s*(\d+):(\d+):(\d+)\s+speed:\s*([\d,]+)/.exec(line);
    if (f && cur) {
      cur.etaSeconds = Number(f[1]) * 3600 + Number(f[2]) * 60 + Number(f[3]);
      cur.speedBytesPerSecond = Number(f[4]!.replace(/,/g, '')) * 1024;
    }
  }
  return out;
}
