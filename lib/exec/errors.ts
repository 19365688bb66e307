export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export class ExecTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`${command} did not finish within ${Math.round(timeoutMs)} ms and was killed`);
    this.name = 'ExecTimeoutError';
  }
}

export class ExecFailedError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
    super(`${command} exited with ${result.exitCode}${detail ? `: ${detail}` : ''}`);
    this.name = 'ExecFailedError';
  }
}

