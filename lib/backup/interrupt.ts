/**
 * Stop a running backup within a bound: SIGTERM (the backup stops within one chunk, removes
 * its snapshot and exits; its journal lets the rerun resume), then SIGKILL if it has not gone
 * after `graceMs`. The process is named by PID and start time, checked before every signal, so
 * a PID reused by another process is never signalled.
 */
import { stillRunning, type ProcessIdentity } from '../proc/process.js';

export interface InterruptOutcome {
  /** The strongest signal sent; null when the process was already gone. */
  signal: 'SIGTERM' | 'SIGKILL' | null;
  /** Gone at the end (a process stuck in the kernel may survive SIGKILL for a while). */
  exited: boolean;
  ms: number;
}

export interface InterruptOptions {
  graceMs: number;
  /** How long to wait for the process to go after SIGKILL. */
  killWaitMs: number;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function send(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!stillRunning(id)) return false;
  try {
    process.kill(id.pid, signal);
    return true;
  } catch {
    return false; // gone in between
  }
}

async function gone(id: ProcessIdentity, withinMs: number, pollMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  for (;;) {
    if (!stillRunning(id)) return true;
    const left = end - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(pollMs, left));
  }
}

export async function interruptProcess(id: ProcessIdentity, o: InterruptOptions): Promise<InterruptOutcome> {
  const t0 = Date.now();
  const poll = o.pollMs ?? 50;
  const ms = () => Date.now() - t0;
  if (!send(id, 'SIGTERM')) return { signal: null, exited: true, ms: ms() };
  if (await gone(id, o.graceMs, poll)) return { signal: 'SIGTERM', exited: true, ms: ms() };
  if (!send(id, 'SIGKILL')) return { signal: 'SIGTERM', exited: true, ms: ms() };
  return { signal: 'SIGKILL', exited: await gone(id, o.killWaitMs, poll), ms: ms() };
}
