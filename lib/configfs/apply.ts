/**
 * Executes planned operations in order. On a failure, what this call created (directories,
 * links) is removed again in reverse order, so a failed start leaves no half-built target.
 * Writes to objects that existed before are repairs toward the desired state and stay.
 */
import { ConfigFsHangError, isSecretPath, type ConfigFs } from './io.js';
import { deviceMayRefuse } from './attribute-decider.js';
import { storageObjectAttributeOf } from './layout.js';
import type { PlanOp } from './plan.js';

export interface ApplyResult {
  executed: number;
  writesSkipped: number;
  /** Configured attribute files the running kernel does not have (skipped, as targetctl restore does). */
  missing: string[];
  /** Device-bound attributes whose configured value the kernel refused: it kept its own (as targetctl restore). */
  refused: { path: string; value: string; code: string }[];
}

/** The kernel refuses a device-bound value the device cannot honour (EINVAL) or a feature it lacks (ENOSYS). */
function refusedByDevice(op: PlanOp, cause: unknown): string | undefined {
  const code = (cause as { code?: string })?.code;
  if (op.op !== 'write' && op.op !== 'ensure') return undefined;
  const name = storageObjectAttributeOf(op.path);
  if (name === undefined || !deviceMayRefuse(name, op.value)) return undefined;
  return code === 'EINVAL' || code === 'ENOSYS' || code === 'EOPNOTSUPP' ? code : undefined;
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
  const refused: ApplyResult['refused'] = [];
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
      const code = refusedByDevice(op, cause);
      if (code && (op.op === 'write' || op.op === 'ensure')) { refused.push({ path: op.path, value: op.value, code }); continue; }
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
  return { executed, writesSkipped, missing, refused };
}
