/**
 * Collector of every `ocf-exit-reason:` line the test suite sees, from built agents (their
 * stderr, see test/setup/exit-reasons.ts) and from in-process dispatch runs (recordReasons).
 * test/setup/exit-reasons.ts checks them all after each test file.
 */
export interface SeenReason {
  reason: string;
  source: string;
}

const seen: SeenReason[] = [];

/** Record the exit reasons in an agent's stderr output. */
export function recordReasons(stderr: string | Buffer | null | undefined, source: string): void {
  if (stderr === null || stderr === undefined) return;
  for (const line of String(stderr).split('\n')) {
    if (line.startsWith('ocf-exit-reason:')) seen.push({ reason: line.slice('ocf-exit-reason:'.length), source });
  }
}

export function seenReasons(): readonly SeenReason[] {
  return seen;
}

/**
 * What is wrong with a reason as Pacemaker shows it, or undefined: more than 128 characters
 * (Pacemaker cuts the rest), not one trimmed line, or an echoed command line (options before
 * the verdict: name the command and put its argv in the log).
 */
export function reasonProblem(reason: string): string | undefined {
  if (reason.length > 128) return `${reason.length} characters (Pacemaker keeps 128)`;
  if (reason.trim() !== reason || reason === '') return 'not a trimmed, non-empty line';
  if ((reason.match(/\s--[a-z][\w-]*/g) ?? []).length >= 2) return 'echoes a command line (name the command; its argv belongs in the log)';
  if (/ did not finish within /.test(reason) && !/^.{0,80} did not finish within /.test(reason)) return 'the verdict comes after a long object';
  return undefined;
}
