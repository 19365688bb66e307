import type { ParamsOf } from '../../lib/definition.js';
import { Failure } from '../../lib/failure.js';
import type { definition } from './definition.js';

export type DummyParams = ParamsOf<typeof definition>;

/** Refuses a relative state path (a Failure of kind config). Pure. */
export function checkDummyParams(p: DummyParams): void {
  if (p.state !== undefined && !p.state.startsWith('/')) {
    throw new Failure('config', `parameter state: '${p.state}' is not an absolute path`);
  }
}

/** The state file's host path (before it is resolved under the root), default per instance. Pure. */
export function dummyStatePath(p: DummyParams, instance: string): string {
  return p.state ?? `/run/lioha/dummy-${instance}.state`;
}
