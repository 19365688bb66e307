/**
 * Process identity for records that outlive their writer (a suspend intent): a PID alone can be
 * reused, PID plus start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) cannot.
 * Always the real /proc: these are this machine's processes, whatever root the agent works under.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity { pid: number; start: number }

/** Start time of a running process, or undefined when it does not exist. */
export function processStartTime(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold blanks and parentheses: fields are counted after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(rest[22 - 3]);
  return Number.isFinite(start) ? start : undefined;
}

export function selfIdentity(): ProcessIdentity {
  return { pid: process.pid, start: processStartTime(process.pid) ?? 0 };
}

/** Whether the process that wrote `id` is still running (not merely some process with its PID). */
export function stillRunning(id: ProcessIdentity): boolean {
  const start = processStartTime(id.pid);
  return start !== undefined && start === id.start;
}
