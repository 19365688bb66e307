/**
 * Dump timestamps: YYYYMMDD-HHMMSS.nnnnnnnnn, the `date +%Y%m%d-%H%M%S.%N`
 * form of ietd_ddmap.sh's dump names, in UTC so names from both nodes sort in
 * time order whatever their time zone or DST.
 */

export const TIMESTAMP_RE = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})\.(\d{9})$/;

/**
 * Format `date`. The clock has millisecond resolution; `subMsNanos`
 * (0..999999) fills the last six digits, by default from the monotonic clock,
 * so two dumps within one millisecond still get distinct, ordered names.
 */
export function formatTimestamp(date: Date, subMsNanos: number = Number(process.hrtime.bigint() % 1_000_000n)): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const nanos = date.getUTCMilliseconds() * 1_000_000 + Math.max(0, Math.min(999_999, Math.trunc(subMsNanos)));
  return (
    `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}.${p(nanos, 9)}`
  );
}

/** Parse a dump timestamp back to a Date (millisecond precision), or null. */
export function parseTimestamp(ts: string): Date | null {
  const m = TIMESTAMP_RE.exec(ts);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ns] = m.map(Number) as [number, number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, Math.floor(ns / 1_000_000)));
  return Number.isNaN(date.getTime()) ? null : date;
}
