export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Tools whose first plain argument is a subcommand worth naming (`lvm vgchange`, `ip addr`). */
const SUBCOMMAND_TOOLS = new Set(['lvm', 'ip', 'nft', 'drbdadm', 'drbdsetup', 'dmsetup', 'lioha', 'targetcli', 'systemctl']);

/**
 * The short name of a command line for exit reasons: the program's base name and, for tools
 * with subcommands, the subcommand. The whole line (an `lvm --config ...` runs to hundreds of
 * characters) belongs in the log, not in the reason Pacemaker cuts at 128 characters.
 */
export function commandName(command: string): string {
  const [prog = '', ...args] = command.split(' ');
  const base = prog.slice(prog.lastIndexOf('/') + 1);
  if (!SUBCOMMAND_TOOLS.has(base)) return base;
  const sub = args.find((a) => !a.startsWith('-'));
  return sub !== undefined && /^[a-z][a-z0-9_-]{0,23}$/.test(sub) ? `${base} ${sub}` : base;
}

/** A command's most telling line: the first of stderr (else stdout) that is not a warning, one line, trimmed. */
export function tellingLine(result: Pick<RunResult, 'stdout' | 'stderr'>): string {
  const lines = (result.stderr.trim() || result.stdout.trim())
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  return lines.find((l) => !/^warning\b/i.test(l)) ?? lines[0] ?? '';
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 100) / 10;
  return `${s} s`;
}

/** The message is verdict-first and short; `detail` holds the full command line for the log. */
export class ExecTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`${commandName(command)} timed out after ${duration(timeoutMs)} and was killed`);
    this.name = 'ExecTimeoutError';
  }

  get detail(): string {
    return `command: ${this.command}`;
  }
}

/** The message names the command, its exit code and its most telling line; `detail` holds the rest for the log. */
export class ExecFailedError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const line = tellingLine(result);
    const verdict = result.exitCode === -1 ? 'could not be run' : `exited ${result.exitCode}`;
    super(`${commandName(command)} ${verdict}${line ? `: ${line}` : ''}`);
    this.name = 'ExecFailedError';
  }

  get detail(): string {
    const out = (s: string, name: string) => (s.trim() ? `\n${name}:\n${s.trimEnd().slice(0, 4000)}` : '');
    return `command: ${this.command} (exit ${this.result.exitCode})${out(this.result.stderr, 'stderr')}${out(this.result.stdout, 'stdout')}`;
  }
}
