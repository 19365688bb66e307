/**
 * Process identity for records that outlive their writer (a suspend intent, a running backup):
 * a PID alone can be reused, PID plus start time (field 22 of /proc/<pid>/stat, in clock ticks
 * since boot) cannot. Always the real /proc: these are this machine's processes, whatever root
 * the agent works under.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity { pid: number; start: number }

interface StatFields { state: string; start: number }

function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold blanks and parentheses: fields are counted after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(rest[22 - 3]);
  return Number.isFinite(start) ? { state: rest[0] ?? '', start } : undefined;
}

/** Start time of a running process, or undefined when it does not exist. */
export function processStartTime(pid: number): number | undefined {
  return readStat(pid)?.start;
}

export function selfIdentity(): ProcessIdentity {
  return { pid: process.pid, start: processStartTime(process.pid) ?? 0 };
}

/**
 * Whether the process that wrote `id` is still running (not merely some process with its PID).
 * A zombie is not: it has released its files and locks and only waits for its parent.
 */
export function stillRunning(id: ProcessIdentity): boolean {
  const s = readStat(id.pid);
  return s !== undefined && s.start === id.start && s.state !== 'Z' && s.state !== 'X';
}
