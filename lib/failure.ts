/**
 * The one error vocabulary of lib and agents: a Failure says what kind of problem it is and
 * why, never which OCF exit code that is (lib/ocf/dispatch.ts maps kinds to codes, in one place).
 * The reason is shown by Pacemaker (crm_mon, pcs status), which keeps its first 128 characters:
 * one line, verdict and object first, never a secret. Anything longer (a full command line,
 * a command's whole stderr) goes in `detail`, which only the log sees.
 */
import { ExecFailedError, ExecTimeoutError } from './exec/errors.js';

export type FailureKind =
  /** The configuration is wrong everywhere (OCF: cannot run on any node). Never for what only this node lacks. */
  | 'config'
  /** A parameter value is malformed. */
  | 'args'
  /** Something this node lacks: a tool, a module, a file, an interface, a route (OCF: try another node). */
  | 'installed'
  | 'permission'
  | 'unimplemented'
  /** Cleanly stopped. */
  | 'not-running'
  /** A kernel interface or command did not answer in time. */
  | 'hung'
  | 'generic';

export class Failure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly reason: string,
    /** Full detail for the log only (command line, stderr); never shown as the exit reason. */
    readonly detail?: string,
  ) {
    super(reason);
    this.name = 'Failure';
  }
}

/** How much of an exit reason Pacemaker keeps. */
export const REASON_MAX = 128;

/** Tokens longer than this (paths, IQNs, command lines) are objects or detail; they are shortened first. */
const LONG_TOKEN = 40;

/**
 * An exit reason that survives Pacemaker's cut: one line of at most `max` characters. Reasons are
 * built verdict first, so when one is too long the detail gives way, never the verdict: first
 * long tokens are shortened in their middle (their start and end identify them), then the tail
 * is cut at a word boundary and marked with an ellipsis.
 */
export function fitReason(reason: string, max = REASON_MAX): string {
  let s = reason.replace(/\s+/g, ' ').trim();
  if (s.length <= max) return s;
  s = s
    .split(' ')
    .map((t) => (t.length > LONG_TOKEN ? `${t.slice(0, 24)}…${t.slice(-12)}` : t))
    .join(' ');
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s:;,/-]+$/, '')}…`;
}

/** A command that could not be executed because it does not exist. */
export function commandMissing(e: unknown): e is ExecFailedError {
  return e instanceof ExecFailedError && e.result.exitCode === -1 && /ENOENT/.test(e.result.stderr);
}

/**
 * Any error as a Failure; `doing` (e.g. "activating vg0") prefixes the reason. A command that
 * does not exist is 'installed'; one that timed out or failed is 'generic', named by its
 * program and subcommand with its verdict ("lvm vgchange timed out after 30 s", "exited 5:
 * <first stderr line>"); the full command line and output go to `detail`. Without `doing`,
 * an error that is not a known failure gives undefined (a bug).
 */
export function failureOf(e: unknown, doing?: string): Failure | undefined {
  if (e instanceof Failure) return e;
  const pre = doing ? `${doing}: ` : '';
  if (commandMissing(e)) return new Failure('installed', `${pre}${e.command.split(' ')[0]} is not installed (not found in PATH)`, e.detail);
  if (e instanceof ExecTimeoutError || e instanceof ExecFailedError) return new Failure('generic', fitReason(`${pre}${e.message}`), e.detail);
  if (doing) return new Failure('generic', `${pre}${(e as Error)?.message ?? String(e)}`);
  return undefined;
}
