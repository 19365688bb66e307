/**
 * Executes planned operations in order. On a failure, what this call created (directories,
 * links) is removed again in reverse order, so a failed start leaves no half-built target.
 * Writes to objects that existed before are repairs toward the desired state and stay.
 */
import { ConfigFsHangError, isSecretPath, type ConfigFs } from './io.js';
import type { PlanOp } from './plan.js';

export interface ApplyResult {
  executed: number;
  writesSkipped: number;
  /** Configured attribute files the running kernel does not have (skipped, as targetctl restore does). */
  missing: string[];
}

function isMissing(op: PlanOp, cause: unknown): boolean {
  return (op.op === 'write' || op.op === 'ensure') && op.optional === true && (cause as { code?: string })?.code === 'ENOENT';
}

export class ApplyError extends Error {
  constructor(
    public readonly failed: PlanOp,
    public override readonly cause: unknown,
    public readonly rolledBack: number,
    public readonly rollbackError?: unknown,
  ) {
    super(`${describe(failed)} failed: ${(cause as Error)?.message ?? String(cause)}` +
      (rollbackError ? `; rollback incomplete: ${(rollbackError as Error).message}` : rolledBack ? `; ${rolledBack} created objects removed again` : ''));
    this.name = 'ApplyError';
  }
  get hung(): boolean { return this.cause instanceof ConfigFsHangError || this.rollbackError instanceof ConfigFsHangError; }
}

/** For logs and reasons: paths, never secret values. */
export function describe(op: PlanOp): string {
  switch (op.op) {
    case 'write':
    case 'ensure':
      return `${op.op} ${op.path}=${isSecretPath(op.path) ? '(secret)' : JSON.stringify(op.value)}`;
    case 'symlink':
      return `symlink ${op.path} -> ${op.target}`;
    default:
      return `${op.op} ${op.path}`;
  }
}

export async function applyPlan(cfs: ConfigFs, ops: readonly PlanOp[], opts: { rollback: boolean } = { rollback: true }): Promise<ApplyResult> {
  const created: PlanOp[] = [];
  let executed = 0;
  let writesSkipped = 0;
  const missing: string[] = [];
  for (const op of ops) {
    try {
      switch (op.op) {
        case 'mkdir': await cfs.mkdir(op.path); created.push(op); break;
        case 'symlink': await cfs.symlink(op.target, op.path); created.push(op); break;
        case 'rmdir': await cfs.rmdir(op.path); break;
        case 'unlink': await cfs.unlink(op.path); break;
        case 'write': await cfs.write(op.path, op.value); break;
        case 'ensure':
          if ((await cfs.read(op.path)) !== op.value) await cfs.write(op.path, op.value);
          else writesSkipped++;
          break;
      }
      executed++;
    } catch (cause) {
      if (isMissing(op, cause)) { missing.push(op.path); continue; }
      if (!opts.rollback || cause instanceof ConfigFsHangError) {
        // Nothing more can be done safely through a hung interface.
        throw new ApplyError(op, cause, 0);
      }
      let rolledBack = 0;
      try {
        for (const c of created.reverse()) {
          if (c.op === 'symlink') await cfs.unlink(c.path);
          else await cfs.rmdir(c.path);
          rolledBack++;
        }
      } catch (rollbackError) {
        throw new ApplyError(op, cause, rolledBack, rollbackError);
      }
      throw new ApplyError(op, cause, rolledBack);
    }
  }
  return { executed, writesSkipped, missing };
}
