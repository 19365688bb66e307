/**
 * The one error vocabulary of lib and agents: a Failure says what kind of problem it is and
 * why, never which OCF exit code that is (lib/ocf/dispatch.ts maps kinds to codes, in one place).
 * The reason is shown by Pacemaker (crm_mon, pcs status): one line, verdict and object first,
 * never a secret.
 */
import { ExecFailedError, ExecTimeoutError } from './exec/errors.js';

export type FailureKind =
  /** The configuration is wrong everywhere (OCF: cannot run on any node). */
  | 'config'
  /** A parameter value is malformed. */
  | 'args'
  /** Something this node lacks: a tool, a module, a file. */
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
  ) {
    super(reason);
    this.name = 'Failure';
  }
}

/** A command that could not be executed because it does not exist. */
export function commandMissing(e: unknown): e is ExecFailedError {
  return e instanceof ExecFailedError && e.result.exitCode === -1 && /ENOENT/.test(e.result.stderr);
}

/**
 * Any error as a Failure; `doing` (e.g. "activating vg0") prefixes the reason. A command that
 * does not exist is 'installed'; one that timed out or failed is 'generic' with the command's
 * own words. Without `doing`, an error that is not a known failure gives undefined (a bug).
 */
export function failureOf(e: unknown, doing?: string): Failure | undefined {
  if (e instanceof Failure) return e;
  const pre = doing ? `${doing}: ` : '';
  if (commandMissing(e)) return new Failure('installed', `${pre}${e.command.split(' ')[0]} is not installed (not found in PATH)`);
  if (e instanceof ExecTimeoutError) return new Failure('generic', `${pre}${e.message}`);
  if (e instanceof ExecFailedError) {
    if (!doing) return new Failure('generic', e.message);
    // A long argument list (lvm --config ...) is the same every time: name the command, keep its words.
    const cmd = e.command.split(' ').slice(0, 2).join(' ');
    const detail = (e.result.stderr.trim() || e.result.stdout.trim()).split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' / ');
    return new Failure('generic', `${pre}${cmd} exited with ${e.result.exitCode}${detail ? `: ${detail}` : ''}`);
  }
  if (doing) return new Failure('generic', `${pre}${(e as Error)?.message ?? String(e)}`);
  return undefined;
}
